import MMHost

/// One worker process running one sequence on the real kernel (see ``ConformWorker`` for the protocol).
public final class ConformHostSession {
    /// The spawned worker.
    let child: HostChildProcess
    /// The window the worker reserved.
    public let window: ConformWindow
    /// VMAs outside the window when the worker started.
    public let outsideAtStart: Int
    /// The kernel's `vm.max_map_count`.
    public let maxMapCount: Int
    /// The worker's soft `RLIMIT_MEMLOCK` in bytes (`UInt64.max` for unlimited).
    public let memlockLimit: UInt64
    /// Whether the worker has `CAP_IPC_LOCK`.
    public let capIPCLock: Bool
    /// The file system magic of the directory holding the regular files.
    public let fileSystem: UInt64

    /// The worker died or said something unexpected.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// What happened, e.g. `"worker killed by signal 11 after 'mprotect ...'"`.
        public var description: String
    }

    /// Spawns `executable arguments...`, asks it to reserve a window of `pages` pages comparing
    /// `layoutFrom..<layoutFrom+layoutPages`, and waits for it to be ready.
    public init(
        executable: String, arguments: [String], pages: Int, layoutFromPage: Int = 0, layoutPages: Int? = nil
    ) throws {
        child = try HostChildProcess(executable: executable, arguments: arguments)
        let layoutPages = layoutPages ?? pages
        let preferred = "0x" + String(ConformWindow.preferredBase, radix: 16)
        try child.writeLine("start \(pages) \(layoutFromPage) \(layoutPages) \(preferred)")
        guard let line = try child.readLine() else {
            throw Failure(description: "worker \(HostChildProcess.describe(status: child.finish())) at start")
        }
        let fields = line.split(separator: " ")
        guard fields.count == 7, fields[0] == "ready", fields[1].hasPrefix("0x"),
            let base = UInt64(fields[1].dropFirst(2), radix: 16), let outside = Int(fields[2]),
            let maxMapCount = Int(fields[3]), let limit = fields[4] == "inf" ? UInt64.max : UInt64(fields[4])
        else { throw Failure(description: "worker: \(line)") }
        memlockLimit = limit
        capIPCLock = fields[5] == "1"
        fileSystem = fields[6].hasPrefix("0x") ? UInt64(fields[6].dropFirst(2), radix: 16) ?? 0 : 0
        window = ConformWindow(base: base, pages: pages, layoutFromPage: layoutFromPage, layoutPages: layoutPages)
        outsideAtStart = outside
        self.maxMapCount = maxMapCount
    }

    /// Runs `call` in the worker; returns what the kernel did and the number of VMAs outside the window after it.
    /// A call the worker cannot make on the real kernel (``ConformCall/isHostRunnable``), or must never make
    /// (``ConformHostCall/isForbidden(_:)``), is refused here.
    public func run(_ call: ConformCall) throws -> (observation: ConformObservation, outside: Int) {
        guard call.isHostRunnable else { throw Failure(description: "'\(call)' cannot run on the real kernel") }
        if let resolved = call.resolved(base: window.base), ConformHostCall.isForbidden(resolved) {
            throw Failure(description: "'\(call)' must never run on the real kernel")
        }
        do {
            try child.writeLine(call.description)
        } catch {
            throw Failure(description: "worker gone before '\(call)': \(error)")
        }
        guard let line = try child.readLine() else {
            throw Failure(description: "worker \(HostChildProcess.describe(status: child.finish())) on '\(call)'")
        }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 4, let outside = Int(fields[2]) else {
            throw Failure(description: "worker: \(line)")
        }
        return (
            ConformObservation(result: String(fields[0]), layout: String(fields[1]), pages: String(fields[3])), outside
        )
    }

    /// Ends the worker (closes its input and reaps it); returns its exit description.
    @discardableResult
    public func finish() -> String { HostChildProcess.describe(status: child.finish()) }
}
