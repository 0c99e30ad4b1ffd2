import MMKernel
import MMScenario
import Testing

/// `--host` applies the running kernel's settings before the explicit flags.
@Suite struct HostOverrideTests {
    static let yaml = """
        machine: {cpus: 3, ceiling: 8, thp: never}
        threads:
          - {name: main, cpu: 2}
        steps:
          - mmap: {region: buf, length: 4 pages}
        """

    @Test func hostSettingsReplaceTheFilesAndFlagsStillWin() throws {
        let scenario = try ScenarioParser.parse(yaml: Self.yaml, file: "host.yaml")
        var host = KernelConfig()
        host.cpus = 2
        host.flushCeiling = 33
        host.thpMode = .madvise
        host.pti = true
        let applied = try MachineOverrides(host: host).apply(to: scenario)
        #expect(applied.config.flushCeiling == 33)
        #expect(applied.config.thpMode == .madvise)
        #expect(applied.config.pti)
        // The scenario pins a thread to CPU 2, so it keeps three CPUs although the host has two.
        #expect(applied.config.cpus == 3)
        let flagged = try MachineOverrides(ceiling: 4, host: host).apply(to: scenario)
        #expect(flagged.config.flushCeiling == 4)
    }

    /// Rows: whether the host has protection keys; `--host` gives the model the same, whatever the file says.
    @Test(arguments: [true, false])
    func hostProtectionKeysReachTheModel(pku: Bool) throws {
        let yaml = "machine: {cpus: 2, pku: \(!pku)}\nsteps:\n  - mmap: {region: buf, length: 4 pages}\n"
        let file = try ScenarioParser.parse(yaml: yaml, file: "host.yaml")
        var host = KernelConfig()
        host.pku = pku
        let applied = try MachineOverrides(host: host).apply(to: file)
        #expect(applied.config.pku == pku)
        #expect(ScenarioRunner(scenario: applied).machine.config.pku == pku)
    }
}
