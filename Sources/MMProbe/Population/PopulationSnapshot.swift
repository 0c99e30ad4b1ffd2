/// Which pages of a scenario's regions are populated after a call, from one side (kernel or model): the
/// `pte_present()` bit per page (pagemap bit 63 includes PROT_NONE pages, as the model's `isPresent` does) and,
/// per real VMA overlapping a region, the KiB mapped by PMD-level THPs (smaps `AnonHugePages`).
public struct PopulationSnapshot: Hashable, Sendable {
    /// Present bits per region name, one per page.
    public var present: [String: [Bool]]
    /// PMD-mapped KiB per VMA, keyed by the VMA's range in model addresses (`start-end` in hex).
    public var hugeKiB: [String: Int]

    /// Creates a snapshot.
    public init(present: [String: [Bool]] = [:], hugeKiB: [String: Int] = [:]) {
        self.present = present
        self.hugeKiB = hugeKiB
    }

    /// Differences from `model` (self is the kernel's), one sentence each; empty when they agree.
    public func differences(model: PopulationSnapshot) -> [String] {
        var result: [String] = []
        for name in present.keys.sorted() {
            let kernelPages = present[name] ?? []
            let modelPages = model.present[name] ?? []
            let mismatched = zip(kernelPages, modelPages).enumerated().filter { $0.element.0 != $0.element.1 }
            if !mismatched.isEmpty || kernelPages.count != modelPages.count {
                let kernelCount = kernelPages.filter { $0 }.count
                let modelCount = modelPages.filter { $0 }.count
                let first = mismatched.first.map { ", first at page \($0.offset)" } ?? ""
                result.append(
                    "\(name): kernel \(kernelCount) present, model \(modelCount) (\(mismatched.count) differ\(first))")
            }
        }
        for range in hugeKiB.keys.sorted() where hugeKiB[range] != model.hugeKiB[range] {
            result.append("THP \(range): kernel \(hugeKiB[range] ?? 0) KiB, model \(model.hugeKiB[range] ?? 0) KiB")
        }
        return result
    }
}
