import Foundation
import MMKernel
import Testing

@testable import MMScenario

/// Conformance reproducers recorded on a machine with protection keys (Linux 6.18): each is a sequence where an
/// earlier model disagreed with the kernel at the last call, with the kernel's results as expectations. The model
/// must now agree with every one of them.
@Suite struct PKUConformFixtureTests {
    /// The bundled reproducers.
    static let folder: URL = Bundle.module.resourceURL!.appending(path: "Fixtures/pku-conform")

    /// The text of every bundled reproducer, by file name.
    static let files: [(name: String, text: String)] = {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
        return names.map { name in
            (name, (try? String(contentsOf: folder.appending(path: name), encoding: .utf8)) ?? "")
        }
    }()

    /// The reproducers' names.
    static let names: [String] = files.map(\.name)

    /// Parses one reproducer.
    static func scenario(_ name: String) throws -> Scenario {
        let text = try #require(files.first { $0.name == name }?.text)
        return try ScenarioParser.parse(yaml: text, file: "pku-conform/\(name)")
    }

    /// The failed expectations and the steps that could not run.
    static func problems(_ report: RunReport, _ name: String) -> [String] {
        report.steps.flatMap { step in
            var found = step.expectations.filter { !$0.passed }.map {
                "\(name):\($0.line):\($0.column) \($0.check): expected \($0.expected), got \($0.actual)"
            }
            if case .error(let message) = step.result { found.append("\(name): \(step.call): \(message)") }
            return found
        }
    }

    @Test func everyReproducerIsBundled() {
        #expect(Self.files.count == 32)
        #expect(Self.files.allSatisfy { !$0.text.contains("is not a scenario step") })
    }

    @Test(arguments: PKUConformFixtureTests.names)
    func modelAgreesWithTheKernel(name: String) throws {
        let scenario = try Self.scenario(name)
        #expect(scenario.config.pku)
        let report = ScenarioRunner.run(scenario)
        let problems = Self.problems(report, name)
        #expect(problems.isEmpty, "\(problems)")
        #expect(report.totals.expectationsPassed > 0)
    }
}
