import MMHost
import Testing

extension HostSuite {
    @Suite struct ProcMapsParseTests {
        static let sample = """
            55d5428ae000-55d5428b0000 r--p 00000000 fd:01 1835042                    /usr/bin/cat
            55d542b59000-55d542b7a000 rw-p 00000000 00:00 0                          [heap]
            7f74aac6d000-7f74aac70000 rw-s 00026000 00:05 42                         /memfd:my file (deleted)
            7f74aac70000-7f74aac71000 ---p 00000000 00:00 0 
            7ffd1c2a4000-7ffd1c2c5000 rw-p 00000000 00:00 0                          [stack]
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]

            """

        @Test func parsesEveryField() throws {
            let maps = try ProcMaps.parse(text: Self.sample)
            #expect(maps.entries.count == 6)
            let cat = maps.entries[0]
            #expect(cat.start == HostAddress(0x55d5_428a_e000))
            #expect(cat.end == HostAddress(0x55d5_428b_0000))
            #expect(cat.perms == "r--p")
            #expect(cat.offset == 0)
            #expect(cat.device == "fd:01")
            #expect(cat.inode == 1_835_042)
            #expect(cat.path == "/usr/bin/cat")
            #expect(cat.length == 0x2000)
            #expect(cat.protection == .read)
            #expect(!cat.isShared)
        }

        @Test func keepsPathsWithSpacesAndAnonymousEntries() throws {
            let maps = try ProcMaps.parse(text: Self.sample)
            let memfd = maps.entries[2]
            #expect(memfd.path == "/memfd:my file (deleted)")
            #expect(memfd.offset == 0x26000)
            #expect(memfd.isShared)
            #expect(memfd.protection == .readWrite)
            #expect(maps.entries[3].path == "")
            #expect(maps.entries[3].protection == .none)
            #expect(maps.entries[5].start == HostAddress(0xffff_ffff_ff60_0000))
            #expect(maps.entries[5].protection == .exec)
        }

        @Test func rendersWindowRelativeToBaseInPages() throws {
            let text = """
                10000-11000 ---p 00000000 00:00 0
                11000-12000 r--p 00000000 00:00 0
                12000-15000 rw-p 00000000 00:00 0
                15000-16000 ---p 00000000 00:00 0
                """
            let maps = try ProcMaps.parse(text: text)
            let base = HostAddress(0x11000)
            #expect(maps.render(base: base, length: 4 * 4096) == "[0,1)r--p [1,4)rw-p")
            // A window cutting the rw-p entry: unclipped shows its true extent, clipped cuts it.
            #expect(maps.render(base: base, length: 2 * 4096) == "[0,1)r--p [1,4)rw-p")
            #expect(maps.render(base: base, length: 2 * 4096, clipped: true) == "[0,1)r--p [1,2)rw-p")
            #expect(
                maps.render(base: HostAddress(0x10000), length: 6 * 4096, origin: base)
                    == "[-1,0)---p [0,1)r--p [1,4)rw-p [4,5)---p"
            )
            #expect(maps.render(base: HostAddress(0x20000), length: 4096) == "")
        }

        @Test func reportsTheMalformedLine() {
            let text = "10000-11000 r--p 00000000 00:00 0\nnot a maps line\n"
            #expect(throws: ProcMapsParseError(lineNumber: 2, line: "not a maps line")) {
                try ProcMaps.parse(text: text)
            }
            #expect(throws: ProcMapsParseError.self) {
                try ProcMaps.parse(text: "12000-11000 r--p 00000000 00:00 0")
            }
        }

        @Test func describesEntriesInMapsFormat() {
            let entry = ProcMapsEntry(
                start: HostAddress(0x1000),
                end: HostAddress(0x3000),
                perms: "rw-p",
                offset: 0x26000,
                path: "[heap]"
            )
            #expect(entry.description == "1000-3000 rw-p 00026000 00:00 0 [heap]")
        }

        @Test func readsThisProcessMaps() throws {
            let maps = try ProcMaps.readSelf()
            #expect(maps.entries.count > 5)
            #expect(maps.entries.contains { $0.path == "[stack]" })
            // The kernel lists VMAs in ascending, non-overlapping order.
            for (previous, next) in zip(maps.entries, maps.entries.dropFirst()) {
                #expect(previous.end <= next.start)
            }
        }
    }
}
