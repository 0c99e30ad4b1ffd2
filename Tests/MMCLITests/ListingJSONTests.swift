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
}
