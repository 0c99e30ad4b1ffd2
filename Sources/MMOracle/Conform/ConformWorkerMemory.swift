import Glibc
import MMHost

/// What keeps the worker from adding mappings of its own while a sequence runs, so that sequences near
/// `vm.max_map_count` see only their own VMAs come and go:
///
/// * ``prepareHeap()`` tells glibc's malloc never to use mmap (`M_MMAP_MAX` 0: large blocks come from the brk
///   heap, which grows by extending its one VMA) and never to give the heap back (`M_TRIM_THRESHOLD`), and grows
///   the heap once by 32 MiB, so the Swift runtime's allocations during a sequence are served without a new VMA;
/// * the buffers the worker reads `/proc/self/maps`, `/proc/self/pagemap` and `/proc/self/mem` into are mapped
///   once at start (``ConformProcReader``), and the descriptors of pagemap and mem stay open.
enum ConformWorkerMemory {
    /// `M_TRIM_THRESHOLD`, `M_TOP_PAD` and `M_MMAP_MAX` of malloc.h.
    static let trimThreshold: Int32 = -1
    static let topPad: Int32 = -2
    static let mmapMax: Int32 = -4

    /// Bytes the heap is grown by at start.
    static let heapReserve = 32 << 20

    /// `mallopt(3)`, looked up by name (malloc.h is not part of the Glibc module).
    typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32

    /// Configures malloc and pre-grows the heap; call first thing in the worker.
    static func prepareHeap() {
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
        _ = mallopt(mmapMax, 0)
        _ = mallopt(trimThreshold, Int32.max)
        _ = mallopt(topPad, 4 << 20)
        if let block = malloc(heapReserve) {
            memset(block, 0, heapReserve)
            free(block)
        }
    }
}

/// The worker's readers of its own `/proc` files, with buffers mapped once: the maps text, the pagemap words of
/// the compared pages, and one token read through `/proc/self/mem` (which reads a present page whatever its
/// protection or protection key, without faulting anything in).
struct ConformProcReader {
    /// The maps buffer.
    let maps: UnsafeMutableRawBufferPointer
    /// The pagemap words.
    let pagemap: UnsafeMutableBufferPointer<UInt64>
    /// `/proc/self/pagemap`.
    let pagemapFD: Int32
    /// `/proc/self/mem`.
    let memFD: Int32

    /// Maps buffers for `window` (a maps text of `maxMapCount` lines when the window is that large).
    init(window: ConformWindow, maxMapCount: Int) throws(HostError) {
        let lines = window.pages > 4096 ? maxMapCount + 4096 : 8192
        let mapsBytes = (lines * 96 + 4095) & ~4095
        let pagemapBytes = (window.layoutPages * 8 + 4095) & ~4095
        let region = try HostMemory.mmap(
            length: mapsBytes + pagemapBytes, prot: .readWrite, flags: [.private, .anonymous])
        let start = UnsafeMutableRawPointer(bitPattern: UInt(region.rawValue))!
        maps = UnsafeMutableRawBufferPointer(start: start, count: mapsBytes)
        pagemap = UnsafeMutableBufferPointer(
            start: (start + mapsBytes).bindMemory(to: UInt64.self, capacity: window.layoutPages),
            count: window.layoutPages)
        pagemapFD = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        if pagemapFD < 0 { throw HostError.lastErrno("open /proc/self/pagemap") }
        memFD = open("/proc/self/mem", O_RDONLY | O_CLOEXEC)
        if memFD < 0 { throw HostError.lastErrno("open /proc/self/mem") }
    }

    /// Reads `/proc/self/maps` whole into the buffer and scans it for `window`.
    func scanMaps(window: ConformWindow) throws(HostError) -> ConformMapsScan {
        let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw HostError.lastErrno("open /proc/self/maps") }
        defer { close(fd) }
        var used = 0
        while true {
            guard used < maps.count else {
                throw HostError(operation: "/proc/self/maps larger than its buffer", code: E2BIG)
            }
            let count = read(fd, maps.baseAddress! + used, maps.count - used)
            if count < 0 {
                if errno == EINTR { continue }
                throw HostError.lastErrno("read /proc/self/maps")
            }
            if count == 0 { break }
            used += count
        }
        return ConformMapsScan(bytes: UnsafeRawBufferPointer(rebasing: maps[0..<used]), window: window)
    }

    /// The compared pages of `window` (``ConformPages``): pagemap words, and for present pages the token at the
    /// page's start read through `/proc/self/mem`.
    func scanPages(window: ConformWindow) throws(HostError) -> String {
        let bytes = window.layoutPages * 8
        let offset = off_t(window.layoutBase / 4096 * 8)
        let count = pread(pagemapFD, pagemap.baseAddress, bytes, offset)
        guard count == bytes else { throw HostError.lastErrno("pread /proc/self/pagemap") }
        var entries: [ConformPages.Entry] = []
        entries.reserveCapacity(window.layoutPages)
        for page in 0..<window.layoutPages {
            var entry = ConformPages.entry(pagemap: pagemap[page])
            if case .present = entry {
                var token: UInt64 = 0
                let address = window.layoutBase + UInt64(page) * 4096
                let read = pread(memFD, &token, 8, off_t(address))
                entry = .present(read == 8 ? token : nil)
            }
            entries.append(entry)
        }
        return ConformPages.render(entries)
    }
}
