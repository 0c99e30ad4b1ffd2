import MMKernel

extension ScenarioRunner {
    /// Every live address space, in creation order, with its smaps: what `run --json` reports after each step.
    func layouts() -> [AddressSpaceLayout] {
        machine.mms.indices.compactMap { index in
            guard machine.mms[index] != nil else { return nil }
            let id = MMID(rawValue: index)
            let users = machine.tasks.filter { $0.mm == id }
            guard let first = users.first else { return nil }
            return AddressSpaceLayout(
                pid: Self.pid(first.id), threads: users.map(\.name), vmas: machine.smaps(id))
        }
    }
}
