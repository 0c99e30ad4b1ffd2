import MMHost
import Testing

/// All MMHost tests touch real process state (mappings, `/proc/self`), so they run one at a time.
@Suite(.serialized) enum HostSuite {}

/// A reserved `PROT_NONE` window with one guard page on each side and `pages` read-write pages in between.
///
/// The whole window is reserved first and the inner region is then mapped `MAP_FIXED` inside it, so no other
/// allocation of the test process can land between the guards while a test runs.
struct GuardedRegion {
    let window: HostAddress
    let windowLength: Int
    let base: HostAddress
    let length: Int
    let pageSize: Int

    init(pages: Int) throws {
        pageSize = HostMemory.pageSize
        windowLength = (pages + 2) * pageSize
        length = pages * pageSize
        window = try HostMemory.mmap(
            length: windowLength,
            prot: .none,
            flags: [.private, .anonymous, .noReserve]
        )
        base = window.advanced(by: pageSize)
        do {
            try HostMemory.mmap(
                address: base,
                length: length,
                prot: .readWrite,
                flags: [.private, .anonymous, .fixed]
            )
        } catch {
            try? HostMemory.munmap(window, length: windowLength)
            throw error
        }
    }

    /// Writes one byte to each page so the pages are populated exclusive anon pages.
    func touchAll() {
        for page in 0..<(length / pageSize) {
            base.pointer!.storeBytes(of: 0x5A, toByteOffset: page * pageSize, as: UInt8.self)
        }
    }

    /// The address of page `index` of the region.
    func page(_ index: Int) -> HostAddress { base.advanced(by: index * pageSize) }

    /// The region's layout in `ProcMaps.render` notation (`[0,4)rw-p`), unclipped, so a merge with anything outside
    /// would show.
    func layout() throws -> String {
        try ProcMaps.readSelf().render(base: base, length: length, pageSize: pageSize)
    }

    func release() {
        try? HostMemory.munmap(window, length: windowLength)
    }
}
