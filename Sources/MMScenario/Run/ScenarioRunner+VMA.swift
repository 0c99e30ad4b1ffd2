import MMKernel

extension ScenarioRunner {
    /// Checks one property of the VMA containing the first byte of `span` in `thread`'s address space, as
    /// /proc/PID/smaps shows it. Returns the check's name, the expected and actual text, and whether it held.
    func checkVMA(
        _ thread: String, _ span: Span, _ property: Expectation.VMAProperty
    ) -> (check: String, expected: String, actual: String, passed: Bool) {
        let check: String
        let expected: String
        switch property {
        case .vmFlags(let exactly, let has, let lacks):
            check = "vma.vmflags"
            if let exactly {
                expected = "[" + exactly.joined(separator: " ") + "]"
            } else {
                let parts = [("has", has), ("lacks", lacks)].filter { !$0.1.isEmpty }
                expected = parts.map { "\($0.0) [" + $0.1.joined(separator: " ") + "]" }.joined(separator: ", ")
            }
        case .rss(let bytes):
            check = "vma.rss"
            expected = Self.kilobytes(bytes)
        case .anonHugePages(let bytes):
            check = "vma.anon_huge_pages"
            expected = Self.kilobytes(bytes)
        }
        let address: UInt64
        switch resolve(span) {
        case .success(let range): address = range.start
        case .failure(let failure): return (check, expected, failure.message, false)
        }
        let mm = machine.task(tasks[thread]!).mm
        guard let index = machine.mm(mm).vmas.index(containing: address) else {
            return (check, expected, "no VMA at \(hex(address))", false)
        }
        let entry = machine.smaps(mm, vmaIndex: index)
        switch property {
        case .vmFlags(let exactly, let has, let lacks):
            let actual = "[" + entry.vmFlags.joined(separator: " ") + "]"
            let flags = Set(entry.vmFlags)
            let passed =
                exactly.map { Set($0) == flags && $0.count == flags.count }
                ?? (has.allSatisfy(flags.contains) && !lacks.contains(where: flags.contains))
            return (check, expected, actual, passed)
        case .rss(let bytes):
            return (check, expected, Self.kilobytes(entry.rss), entry.rss == bytes)
        case .anonHugePages(let bytes):
            return (check, expected, Self.kilobytes(entry.anonHugePages), entry.anonHugePages == bytes)
        }
    }

    /// Bytes as smaps prints them: `64 kB` (with the remainder if the value is not a whole number of kB).
    static func kilobytes(_ bytes: UInt64) -> String {
        bytes % 1024 == 0 ? "\(bytes / 1024) kB" : "\(bytes) bytes"
    }
}
