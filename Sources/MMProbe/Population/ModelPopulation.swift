import MMHardware
import MMKernel

/// Reads the model's page population the way ``HostPopulation`` reads the kernel's.
enum ModelPopulation {
    /// Present bits (`pte_present()`, PROT_NONE included) for `pages` pages from `address` in `mm`.
    static func present(_ machine: Machine, mm: MMID, address: UInt64, pages: Int) -> [Bool] {
        (0..<pages).map { machine.leafEntry(mm, address + UInt64($0) * 4096).entry.isPresent }
    }

    /// KiB of [start, end) mapped by huge (PMD) entries in `mm`.
    static func hugeKiB(_ machine: Machine, mm: MMID, start: UInt64, end: UInt64) -> Int {
        var kib = 0
        var address = start
        while address < end {
            let (entry, huge) = machine.leafEntry(mm, address)
            if huge && entry.isPresent { kib += 4 }
            address += 4096
        }
        return kib
    }
}
