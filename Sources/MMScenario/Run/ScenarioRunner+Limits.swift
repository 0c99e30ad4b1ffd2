import MMKernel

extension ScenarioRunner {
    /// Refuses, before anything runs, a scenario whose access steps would touch more pages than the limits allow:
    /// one step more than `ScenarioParser.maxPagesPerStep`, or all steps together more than `maxPagesPerRun`. Pages
    /// are counted from the file as the runner would count them, as if every mmap succeeded and no access stopped
    /// early at a signal: a range written with `pages:`, a `length:`, a bare region (the length of the mmap that
    /// last named it), or one page. The error is at the offending step's position.
    public static func checkLimits(_ scenario: Scenario) throws(ScenarioError) {
        var regionPages: [String: UInt64] = [:]
        var total: UInt64 = 0
        for (offset, step) in scenario.steps.enumerated() {
            switch step.kind {
            case .call(let call):
                guard let region = call.resultRegion else { break }
                switch call.syscall {
                case .mmap(address: _, let length, prot: _, flags: _, fd: _, offset: _):
                    regionPages[region] = pages(ofLength: length)
                case .mremap(address: _, oldLength: _, let newLength, flags: _, newAddress: _):
                    regionPages[region] = pages(ofLength: newLength)
                default: break
                }
            case .access(let access):
                let pages = pages(of: access.span, regions: regionPages)
                let what = "step \(offset + 1) (\(step.keyword))"
                if pages > ScenarioParser.maxPagesPerStep {
                    throw ScenarioError(
                        step.location,
                        "\(what) would touch \(pages) pages; one step may touch at most "
                            + "\(ScenarioParser.maxPagesPerStep)")
                }
                total += pages
                if total > maxPagesPerRun {
                    throw ScenarioError(
                        step.location,
                        "\(what) would bring the run to \(total) pages; a run may touch at most \(maxPagesPerRun) "
                            + "pages in all")
                }
            default: break
            }
        }
    }

    /// Pages an access over `span` touches, given the regions' lengths in pages (mirrors `resolve` and
    /// `performAccess`).
    static func pages(of span: Span, regions: [String: UInt64]) -> UInt64 {
        if let range = span.pages { return range.count }
        if let length = span.length { return pages(ofLength: length) }
        if let name = span.base.region, span.base.offsets.isEmpty, let pages = regions[name] { return max(1, pages) }
        return 1
    }

    /// `length` bytes in whole pages (at least one), saturating rather than overflowing.
    static func pages(ofLength length: UInt64) -> UInt64 {
        max(1, length / pageSize + (length % pageSize == 0 ? 0 : 1))
    }
}
