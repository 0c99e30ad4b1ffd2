import MMHost
import MMKernel
import MMOracle
import Testing

/// The file-fault windows of the host profile: `read_ahead_kb` of the probe's temporary directory and debugfs's
/// `fault_around_bytes` reach the model's configuration and its `machine:` mapping.
@Suite struct HostReadaheadTests {
    @Test("an 8 MiB read_ahead_kb (this project's virtio disk) is a 2048-page readahead window")
    func readAheadMaps() {
        let profile = HostProfile(release: "6.18.44-fc-v669", readAheadKiB: 8192)
        #expect(profile.kernelConfig.readaheadPages == 2048)
        #expect(profile.machineYAML.contains("read_ahead: 8192K"))
        #expect(profile.kernelConfig.faultAroundBytes == 64 << 10, "unknown: the kernel's default")
    }

    @Test("a fault_around_bytes read from debugfs is used; out-of-range values are clamped")
    func faultAroundMaps() {
        #expect(HostProfile(release: "6.18", faultAroundBytes: 16384).kernelConfig.faultAroundPages == 4)
        #expect(HostProfile(release: "6.18", faultAroundBytes: 1 << 30).kernelConfig.faultAroundBytes == 2 << 20)
        #expect(HostProfile(release: "6.18", readAheadKiB: -4).kernelConfig.readaheadPages == 0)
    }

    @Test("unknown windows keep the model's defaults (32 pages, 64 KiB)")
    func unknown() {
        let config = HostProfile(release: "6.18").kernelConfig
        #expect(config.readaheadPages == 32 && config.faultAroundBytes == 64 << 10)
    }

    @Test(
        "dev_t numbers decode as glibc's gnu_dev_major/minor",
        arguments: [
            (UInt64(0xfe00), UInt64(254), UInt64(0)), (0x0801, 8, 1), (0x10_0800, 8, 256), (0x1000_0000_0003, 4096, 3),
        ])
    func deviceNumbers(device: UInt64, major: UInt64, minor: UInt64) {
        let numbers = HostFile.deviceNumbers(device)
        #expect(numbers.major == major && numbers.minor == minor)
    }
}
