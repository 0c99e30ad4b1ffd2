/// The state of the window's pages after a call, compared like the layout: for each page, whether a present
/// entry maps it (and the 8-byte token at its start), a swap entry, a guard marker, or nothing.
///
/// The real side reads it from `/proc/self/pagemap` (bit 63 present, bit 62 swapped, bit 58 guard region: what
/// `pte_to_pagemap_entry()` in fs/proc/task_mmu.c reports; a PTE marker is a swap entry too) and the token through
/// `/proc/self/mem`; the model side from its page tables (`Machine.leafEntry(_:_:)`) and the frame's token.
/// Tokens are what the model's memory holds: the worker writes 8-byte tokens at page starts, files start with the
/// model's per-page tokens (``ConformFile/initialToken(index:page:)``), and zero pages read 0.
public enum ConformPages {
    /// One page.
    public enum Entry: Hashable, Sendable {
        /// Nothing maps it (no entry, or outside any VMA).
        case none
        /// A present entry; the token at the page's start (nil if it could not be read).
        case present(UInt64?)
        /// A swap entry, a migration entry or a PTE marker other than a guard.
        case swap
        /// A guard-region marker (`MADV_GUARD_INSTALL`).
        case guardMarker
    }

    /// The pagemap bits read.
    public static let presentBit: UInt64 = 1 << 63
    public static let swapBit: UInt64 = 1 << 62
    public static let guardBit: UInt64 = 1 << 58

    /// The entry a pagemap word stands for (the token is filled in separately).
    public static func entry(pagemap word: UInt64) -> Entry {
        if word & presentBit != 0 { return .present(nil) }
        if word & guardBit != 0 { return .guardMarker }
        if word & swapBit != 0 { return .swap }
        return .none
    }

    /// The text of `entries` (page `i` of the compared part at index `i`): non-empty pages only, as `4=0x11` (present,
    /// with its token), `4=?` (present, unreadable), `4:S` (swap) or `4:G` (guard), separated by spaces.
    public static func render(_ entries: [Entry]) -> String {
        var parts: [String] = []
        for (index, entry) in entries.enumerated() {
            switch entry {
            case .none: continue
            case .present(let token?): parts.append("\(index)=" + (token == 0 ? "0" : "0x" + String(token, radix: 16)))
            case .present(nil): parts.append("\(index)=?")
            case .swap: parts.append("\(index):S")
            case .guardMarker: parts.append("\(index):G")
            }
        }
        return parts.joined(separator: " ")
    }
}
