import MMKernel
import MMOracle
import Testing

/// Host profile parsing from sample texts and its mapping onto the model's configuration.
@Suite struct HostProfileTests {
    /// A cpuinfo excerpt like this project's machines without PKU: pcid and invpcid, no pku, no la57.
    static let cpuinfo = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep pcid sse4_1 invpcid hypervisor
        bugs\t\t: spectre_v1

        processor\t: 1
        flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep pcid sse4_1 invpcid hypervisor
        """

    @Test("cpuinfo flags: the first flags line's words")
    func cpuFlags() {
        let flags = HostProfile.cpuFlags(cpuinfo: Self.cpuinfo)
        #expect(flags.contains("pcid"))
        #expect(flags.contains("invpcid"))
        #expect(!flags.contains("pku"))
        #expect(!flags.contains("la57"))
        #expect(HostProfile.cpuFlags(cpuinfo: "processor : 0\n").isEmpty)
    }

    @Test(
        "meltdown file → PTI state",
        arguments: [
            ("Mitigation: PTI\n", true), ("Not affected\n", false), ("Vulnerable\n", false),
            ("Mitigation: PTI (something newer)", true),
        ])
    func meltdown(text: String, pti: Bool) {
        #expect(HostProfile.ptiEnabled(meltdown: text) == pti)
    }

    @Test("THP selector and sysctl files")
    func sysfsFiles() {
        #expect(HostProfile.selectedChoice("always [madvise] never\n") == "madvise")
        #expect(HostProfile.selectedChoice("[always] madvise never") == "always")
        #expect(HostProfile.selectedChoice("always madvise never") == nil)
        #expect(HostProfile.firstInteger("65530\n") == 65530)
        #expect(HostProfile.memTotalKiB(meminfo: "MemTotal:       24534212 kB\nMemFree: 1 kB\n") == 24_534_212)
        #expect(HostProfile.version(release: "6.18.44-fc-v669")! == (6, 18))
        #expect(HostProfile.version(release: "5.4.0-42-generic")! == (5, 4))
    }

    @Test("the reference machine's facts map onto the merged scheme with PCID, no PTI, no pkeys")
    func referenceMachine() {
        let profile = HostProfile(
            release: "6.18.44-fc-v669", pcid: true, invpcid: true, meltdown: "Not affected", thpMode: "madvise",
            thpUseZeroPage: true, overcommitMemory: 0, overcommitRatio: 50, maxMapCount: 65530,
            mmapMinAddress: 65536, onlineCPUs: 2, memTotalKiB: 24 << 20)
        let config = profile.kernelConfig
        #expect(config.scheme == .merged)
        #expect(config.pcid && !config.pti && !config.pku)
        #expect(config.thpMode == .madvise && config.thpUseZeroPage)
        #expect(config.maxMapCount == 65530 && config.mmapMinAddress == 0x10000)
        #expect(config.cpus == 2 && config.ramFrames == 24 << 18)
        #expect(profile.modelFlags == "--scheme merged --ceiling 33 --cpus 2")
    }

    @Test("an old kernel with PTI, PKU and 200 CPUs: before scheme, --pti, 64 CPUs")
    func oldKernel() {
        let profile = HostProfile(
            release: "5.4.0-42-generic", pku: true, ospke: true, pti: true, thpMode: "always", onlineCPUs: 200)
        let config = profile.kernelConfig
        #expect(config.scheme == .before)
        #expect(config.pti && config.pku && config.thpMode == .always && config.cpus == 64)
        #expect(profile.modelFlags == "--scheme before --ceiling 33 --cpus 64 --pti")
    }
}
