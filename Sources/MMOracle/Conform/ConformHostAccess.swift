import Glibc
import MMHost

/// Loads and stores of the window made by the worker without dying of them: the access runs as a four-byte piece
/// of machine code on a page of its own, and a SIGSEGV/SIGBUS handler that finds the faulting instruction on that
/// page records the signal and returns from the piece as its `ret` would (the instruction pointer set to the return
/// address on the stack), so the worker goes on and reports the signal the kernel delivered. A fault anywhere else
/// restores the default action and re-faults, crashing the worker as before.
///
/// The piece touches memory exactly as a compiled load or store would (one 8-byte access, the same page fault,
/// the same `si_code`), which an in-kernel copy such as process_vm_readv(2) would not (it ignores pkeys and does
/// not grow stacks).
enum ConformHostAccess {
    /// `mov rax, [rdi]; ret`.
    static let loadCode: [UInt8] = [0x48, 0x8b, 0x07, 0xc3]
    /// `mov [rdi], rsi; mov rax, rsi; ret`.
    static let storeCode: [UInt8] = [0x48, 0x89, 0x37, 0x48, 0x89, 0xf0, 0xc3]
    /// Where the store starts on the code page.
    static let storeOffset = 16

    /// The code page (0 before ``install()``).
    nonisolated(unsafe) static var codePage: UInt = 0
    /// The signal the last access raised (0 for none).
    nonisolated(unsafe) static var signalNumber: Int32 = 0
    /// Its `si_code`.
    nonisolated(unsafe) static var signalCode: Int32 = 0

    /// `gregs` indices of `struct sigcontext` on x86-64 (`REG_RAX`, `REG_RSP`, `REG_RIP` of sys/ucontext.h).
    static let rax = 13
    static let rsp = 15
    static let rip = 16

    /// Maps the code page (read-execute, outside any window) and installs the handlers; call once, before the
    /// worker reports its layout.
    static func install() throws(HostError) {
        let page = try HostMemory.mmap(length: 4096, prot: .readWrite, flags: [.private, .anonymous])
        let start = UnsafeMutableRawPointer(bitPattern: UInt(page.rawValue))!
        for (index, byte) in loadCode.enumerated() { start.storeBytes(of: byte, toByteOffset: index, as: UInt8.self) }
        for (index, byte) in storeCode.enumerated() {
            start.storeBytes(of: byte, toByteOffset: storeOffset + index, as: UInt8.self)
        }
        try HostMemory.mprotect(page, length: 4096, prot: [.read, .exec])
        codePage = UInt(page.rawValue)
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = handler
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        for signal in [SIGSEGV, SIGBUS] where sigaction(signal, &action, nil) != 0 {
            throw HostError.lastErrno("sigaction")
        }
    }

    /// The signal handler: a fault inside the code page returns from it with the signal recorded.
    static let handler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = {
        signal, info, context in
        guard let context, codePage != 0 else { return ConformHostAccess.giveUp(signal) }
        let ucontext = context.assumingMemoryBound(to: ucontext_t.self)
        withUnsafeMutableBytes(of: &ucontext.pointee.uc_mcontext.gregs) { raw in
            let registers = raw.bindMemory(to: Int64.self)
            let pc = UInt(bitPattern: Int(registers[ConformHostAccess.rip]))
            guard pc >= codePage && pc < codePage + 4096 else { return ConformHostAccess.giveUp(signal) }
            signalNumber = signal
            signalCode = info?.pointee.si_code ?? 0
            let stack = UInt(bitPattern: Int(registers[ConformHostAccess.rsp]))
            let returnAddress = UnsafePointer<Int64>(bitPattern: stack)!.pointee
            registers[ConformHostAccess.rip] = returnAddress
            registers[ConformHostAccess.rsp] += 8
            registers[ConformHostAccess.rax] = 0
        }
    }

    /// Restores the default action for `signal`, so that returning re-faults and the worker dies as it would have.
    static func giveUp(_ signal: Int32) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_DFL
        sigaction(signal, &action, nil)
    }

    /// The function at `offset` on the code page.
    typealias Piece = @convention(c) (UInt64, UInt64) -> UInt64

    /// Loads (or, with `store`, stores `value`) 8 bytes at `address`: the value loaded or stored, or the signal's
    /// name and `si_code` name.
    static func perform(
        store: Bool, address: UInt64, value: UInt64
    ) -> Result<UInt64, Fault> {
        precondition(codePage != 0, "ConformHostAccess.install() first")
        let piece = unsafeBitCast(codePage + UInt(store ? storeOffset : 0), to: Piece.self)
        signalNumber = 0
        let result = piece(address, value)
        guard signalNumber != 0 else { return .success(result) }
        return .failure(
            Fault(signal: name(ofSignal: signalNumber), code: name(ofCode: signalCode, signal: signalNumber)))
    }

    /// The signal an access raised, by name.
    struct Fault: Error {
        /// `SIGSEGV` or `SIGBUS`.
        var signal: String
        /// The `si_code` name, e.g. `SEGV_ACCERR`.
        var code: String
    }

    /// `SIGSEGV`, `SIGBUS`.
    static func name(ofSignal signal: Int32) -> String {
        signal == SIGSEGV ? "SIGSEGV" : signal == SIGBUS ? "SIGBUS" : "signal \(signal)"
    }

    /// The `si_code` name (include/uapi/asm-generic/siginfo.h).
    static func name(ofCode code: Int32, signal: Int32) -> String {
        switch (signal, code) {
        case (SIGSEGV, 1): return "SEGV_MAPERR"
        case (SIGSEGV, 2): return "SEGV_ACCERR"
        case (SIGSEGV, 4): return "SEGV_PKUERR"
        case (SIGBUS, 1): return "BUS_ADRALN"
        case (SIGBUS, 2): return "BUS_ADRERR"
        case (SIGBUS, 3): return "BUS_OBJERR"
        default: return "code \(code)"
        }
    }
}
