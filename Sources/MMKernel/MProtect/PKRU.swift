// PLACEHOLDER (replaced by the PKU helper).
extension Machine {
    /// WRPKRU by `task`. Placeholder.
    public mutating func writePKRU(_ task: TaskID, _ value: UInt32) {}
}
