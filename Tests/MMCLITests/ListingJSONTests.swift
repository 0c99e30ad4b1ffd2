import ArgumentParser
import Foundation
import MMScenario
import Testing

@testable import MMCLI

/// `mmsim scenarios --json` and `mmsim claims --json` print documents with the keys docs/json-output.md names.
@Suite struct ListingJSONTests {
    /// `text` parsed as a JSON object.
    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("scenarios: every built-in with name, group, summary and file, then the rows left out")
    func scenarios() throws {
        let document = try object(try ScenariosJSON.render())
        let entries = try #require(document["scenarios"] as? [[String: String]])
        #expect(entries.map { $0["name"] } == BuiltInScenarios.all.map(\.name))
        #expect(entries.allSatisfy { Set($0.keys) == ["name", "group", "summary", "file"] })
        let omitted = try #require(document["omitted"] as? [[String: String]])
        #expect(omitted.count == BuiltInScenarios.omitted.count)
    }

    @Test("claims: three claims, each with before and merged figures; the one-page claim's cycles as in the README")
    func claims() throws {
        let document = try object(try ClaimsJSON.render(try Claims.parse([]).entries()))
        let claims = try #require(document["claims"] as? [[String: Any]])
        #expect(claims.count == 3)
        let keys: Set = ["flushes", "pages", "invlpg", "fullFlushes", "ipis", "sweepMisses", "cycles"]
        for claim in claims {
            #expect(Set(claim.keys) == ["name", "title", "changed", "before", "merged"])
            #expect((claim["before"] as? [String: Any]).map { Set($0.keys) } == keys)
            #expect((claim["merged"] as? [String: Any]).map { Set($0.keys) } == keys)
        }
        let onePage = try #require(claims.first)
        #expect((onePage["before"] as? [String: Any])?["cycles"] as? Int == 9440)
        #expect((onePage["merged"] as? [String: Any])?["cycles"] as? Int == 7000)
    }
}
