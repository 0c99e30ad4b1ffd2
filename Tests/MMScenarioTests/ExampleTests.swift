import Foundation
import Testing

@testable import MMScenario

/// Every example scenario runs green, and the test fixtures are identical copies of examples/.
@Suite struct ExampleTests {
    /// The bundled copies of examples/*.yaml.
    static let fixtures: URL = Bundle.module.resourceURL!.appending(path: "Fixtures/examples")

    /// Names of the bundled examples.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    /// The repository's examples/ folder, found from this file's path (the tests run from the checkout).
    static let repositoryExamples = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "examples")

    @Test func thereAreAtLeastADozenExamples() {
        #expect(Self.names.count >= 12)
    }

    @Test(arguments: ExampleTests.names)
    func exampleRunsGreen(name: String) throws {
        let text = try String(contentsOf: Self.fixtures.appending(path: name), encoding: .utf8)
        let scenario = try ScenarioParser.parse(yaml: text, file: "examples/\(name)")
        let report = ScenarioRunner.run(scenario)
        let failed = report.steps.flatMap { step in
            step.expectations.filter { !$0.passed }.map { "\(name):\($0.line):\($0.column) \($0.check): \($0.actual)" }
        }
        #expect(failed.isEmpty, "\(failed)")
        #expect(report.totals.expectationsPassed > 0)
        let errors = report.steps.filter { if case .error = $0.result { return true } else { return false } }
        #expect(errors.isEmpty)
    }

    @Test func fixturesMatchExamples() throws {
        let manager = FileManager.default
        try #require(
            manager.fileExists(atPath: Self.repositoryExamples.path), "examples/ is part of the repository")
        let originals = try manager.contentsOfDirectory(atPath: Self.repositoryExamples.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(originals == Self.names, "Tests/MMScenarioTests/Fixtures/examples must mirror examples/")
        for name in originals {
            let original = try Data(contentsOf: Self.repositoryExamples.appending(path: name))
            let copy = try? Data(contentsOf: Self.fixtures.appending(path: name))
            #expect(original == copy, "fixture \(name) differs from examples/\(name): copy it again")
        }
    }

    @Test func demoRunsGreen() throws {
        let scenario = try ScenarioParser.parse(yaml: DemoScenario.yaml, file: DemoScenario.file)
        let report = ScenarioRunner.run(scenario)
        #expect(report.failures == 0)
        #expect(report.steps.allSatisfy { $0.note != nil })
    }
}
