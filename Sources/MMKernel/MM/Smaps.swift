import MMHardware

/// One VMA as /proc/PID/smaps shows it: the maps line's fields, `Rss`, `AnonHugePages` and `VmFlags`.
public struct SmapsEntry: Hashable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// `rwxp` / `rwxs`.
    public var permissions: String
    /// The maps name (`[stack]`, a file name) or empty.
    public var name: String
    /// `Rss` in bytes: resident pages the VMA maps (the zero pages excluded, migration entries included).
    public var rss: UInt64
    /// `AnonHugePages` in bytes: anonymous memory mapped by PMD entries.
    public var anonHugePages: UInt64
    /// The `VmFlags` mnemonics, in bit order (`rd wr mr mw me ac`).
    public var vmFlags: [String]
    /// `ProtectionKey`, shown only when the machine has protection keys.
    public var protectionKey: Int?
}

extension Machine {
    /// The model's /proc/PID/smaps for `mm`. Models `show_smap()` in fs/proc/task_mmu.c (without the Pss, dirty
    /// and swap figures).
    public func smaps(_ mmID: MMID) -> [SmapsEntry] {
        mm(mmID).vmas.indices.map { smaps(mmID, vmaIndex: $0) }
    }

    /// The smaps entry of the VMA at `vmaIndex` of `mm`.
    public func smaps(_ mmID: MMID, vmaIndex: Int) -> SmapsEntry {
        let vma = mm(mmID).vmas[vmaIndex]
        let (rss, anonHuge) = residentBytes(mmID, vma)
        return SmapsEntry(
            start: vma.start, end: vma.end, permissions: vma.flags.mapsPermissions,
            name: vma.name ?? vma.file.map { files[$0.rawValue].name } ?? "", rss: rss, anonHugePages: anonHuge,
            vmFlags: Self.vmFlagMnemonics(vma, softDirty: config.softDirty),
            protectionKey: config.pku ? vma.flags.pkey : nil)
    }

    /// The `VmFlags:` line of a VMA, one mnemonic per set bit in bit order. Models `show_smap_vma_flags()` of
    /// Linux 6.18 on x86-64: the protection-key bits print nothing (they show as `ProtectionKey`), `sd` exists only
    /// with `CONFIG_MEM_SOFT_DIRTY`, a bit without a name prints `??`, and the model's seal (kept beside the
    /// flags) prints `sl` at `VM_SEALED`'s bit 42.
    public static func vmFlagMnemonics(_ vma: VMA, softDirty: Bool) -> [String] {
        var names: [String] = []
        var bits = vma.flags.rawValue & ~VMFlags.pkeyMask.rawValue
        if vma.sealed { bits |= 1 << 42 }
        while bits != 0 {
            let bit = bits.trailingZeroBitCount
            bits &= bits - 1
            if bit == 27 && !softDirty {
                names.append("??")
                continue
            }
            names.append(vmFlagMnemonicTable[bit] ?? "??")
        }
        return names
    }

    /// The mnemonic of each `vm_flags` bit that has one on x86-64 (VM_ARCH_1 is `VM_PAT`, bit 24).
    static let vmFlagMnemonicTable: [Int: String] = [
        0: "rd", 1: "wr", 2: "ex", 3: "sh", 4: "mr", 5: "mw", 6: "me", 7: "ms", 8: "gd", 9: "um", 10: "pf", 12: "uw",
        13: "lo", 14: "io", 15: "sr", 16: "rr", 17: "dc", 18: "de", 19: "lf", 20: "ac", 21: "nr", 22: "ht", 23: "sf",
        24: "ar", 25: "wf", 26: "dd", 27: "sd", 28: "mm", 29: "hg", 30: "nh", 31: "mg", 37: "ss", 40: "dp", 41: "ui",
        42: "sl",
    ]

    /// `Rss` and `AnonHugePages` of `vma` in bytes. Models `smaps_pte_range()` with `smaps_pte_entry()`,
    /// `smaps_pmd_entry()` and `smaps_account()`: a present entry counts unless it maps a zero page (the kernel's
    /// `vm_normal_page()` gives no page for a special or zero-page mapping), a migration or device entry counts (the
    /// page is still there), a swapped-out page does not; a PMD-mapped anonymous folio also counts as
    /// `AnonHugePages`.
    func residentBytes(_ mmID: MMID, _ vma: VMA) -> (rss: UInt64, anonHugePages: UInt64) {
        var rss: UInt64 = 0
        var anonHuge: UInt64 = 0
        for step in pmdSteps(mmID, vma.start, vma.end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge || !pmd.hardwarePresent {
                guard let pfn = residentFrame(pmd, huge: true) else { continue }
                rss += PageGeometry.pmdSize
                if pages.pages[Int(pfn.rawValue)].flags.contains(.anon) { anonHuge += PageGeometry.pmdSize }
                continue
            }
            let table = PageTableArena.child(of: pmd)
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for index in first..<first + count where residentFrame(pageTables[table, index], huge: false) != nil {
                rss += PageGeometry.pageSize
            }
        }
        return (rss, anonHuge)
    }

    /// The frame a leaf entry keeps resident for smaps, or nil: empty, swapped out, a marker, or a zero page.
    func residentFrame(_ entry: PTE, huge: Bool) -> PFN? {
        if entry.isNone { return nil }
        let pfn: PFN
        if entry.isPresent {
            if entry.isSpecial { return nil }
            pfn = huge ? entry.hugePFN : entry.pfn
        } else if let swap = SwapEntry(pte: entry) {
            switch swap.kind {
            case .migrationRead, .migrationReadExclusive, .migrationWrite, .deviceRead, .deviceWrite, .deviceExclusive:
                pfn = PFN(swap.offset)
            default: return nil
            }
        } else {
            return nil
        }
        guard Int(pfn.rawValue) < pages.pages.count else { return nil }
        return pages.pages[Int(pfn.rawValue)].flags.contains(.zeroPage) ? nil : pfn
    }
}
