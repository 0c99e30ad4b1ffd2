/// Bits of the persona that personality(2) stores (include/uapi/linux/personality.h). The model acts on
/// `READ_IMPLIES_EXEC` only; every other bit is stored and returned as given.
public enum Personality {
    /// `READ_IMPLIES_EXEC`: PROT_READ requests also grant PROT_EXEC (mmap, mprotect, the new stack of exec).
    public static let readImpliesExec: UInt32 = 0x0400000
    /// `ADDR_NO_RANDOMIZE`: stored only (the model does not randomise layouts anyway).
    public static let addressNoRandomize: UInt32 = 0x0040000
    /// The argument that only queries: personality(0xffffffff) returns the persona and changes nothing.
    public static let query: UInt32 = 0xffff_ffff
}

extension Machine {
    /// personality(2): models `sys_personality()` in kernel/exec_domain.c. The argument is an `unsigned int`, so
    /// only its low 32 bits count; unless they are `0xffffffff` they become the calling thread's persona as they are
    /// (`set_personality()` is a plain assignment). Returns the persona before the call.
    public mutating func personality(_ task: TaskID, _ persona: UInt64) -> UInt64 {
        let previous = tasks[task.rawValue].personality
        let requested = UInt32(truncatingIfNeeded: persona)
        if requested != Personality.query { tasks[task.rawValue].personality = requested }
        return UInt64(previous)
    }

    /// Whether `task` runs with `READ_IMPLIES_EXEC` (`current->personality & READ_IMPLIES_EXEC`), which mmap,
    /// mprotect and exec's temporary stack consult.
    public func readImpliesExec(_ task: TaskID) -> Bool {
        tasks[task.rawValue].personality & Personality.readImpliesExec != 0
    }
}
