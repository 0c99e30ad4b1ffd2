/// The probe's agreement rule for one measured call: the same number of flushes, the same pages per flush in
/// order (-1 = full), the same remote-send decision per flush (kernel reason 4 ⇔ the model sent the flush to
/// other CPUs), and for a flush both sent, the same send-side pages (reason 4's `pages`). Delivery (reason 1, or a
/// lazy CPU's switch away from the mm) is compared in one direction only: a CPU the kernel delivered a flush to
/// must be one the model sent an IPI to; a missing delivery is allowed, because KVM's paravirt flush skips preempted
/// vCPUs. With one thread neither the decision nor delivery is compared (`remote` false): `mm_cpumask` keeps CPUs
/// the process ran on before it was pinned, so the kernel may still trace a reason-4 send that the model, with one
/// CPU in the mask, cannot predict.
public enum FlushAgreement {
    /// The differences between `kernel` and `model`, one sentence each; empty when they agree.
    public static func differences(kernel: [ProbeFlush], model: [ProbeFlush], remote: Bool = true) -> [String] {
        guard kernel.count == model.count else {
            return ["kernel \(kernel.count) flush\(kernel.count == 1 ? "" : "es"), model \(model.count)"]
        }
        var result: [String] = []
        for (index, (kernelFlush, modelFlush)) in zip(kernel, model).enumerated() {
            if kernelFlush.pages != modelFlush.pages {
                result.append("flush \(index + 1): kernel pages \(kernelFlush.pages), model \(modelFlush.pages)")
            }
            if remote, kernelFlush.sendIPI != modelFlush.sendIPI {
                result.append(
                    "flush \(index + 1): kernel \(kernelFlush.sendIPI ? "sent" : "did not send") it remote, model "
                        + (modelFlush.sendIPI ? "did" : "did not"))
            } else if remote, kernelFlush.sendIPI, let kernelSent = kernelFlush.sentPages,
                let modelSent = modelFlush.sentPages, kernelSent != modelSent
            {
                result.append("flush \(index + 1): kernel sent \(kernelSent) pages remote, model \(modelSent)")
            }
            let unexpected = kernelFlush.received.filter { !modelFlush.remote.contains($0) }
            if remote, let cpu = unexpected.first {
                result.append("flush \(index + 1): the kernel delivered it to CPU \(cpu), the model sent it no IPI")
            }
        }
        return result
    }

    /// Whether `kernel` and `model` agree.
    public static func agree(kernel: [ProbeFlush], model: [ProbeFlush], remote: Bool = true) -> Bool {
        differences(kernel: kernel, model: model, remote: remote).isEmpty
    }
}
