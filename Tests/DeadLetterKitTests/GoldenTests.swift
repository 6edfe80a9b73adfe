import Foundation
import Testing

/// Golden files: what the binary printed, exited with and wrote for each case in Fixtures/golden/cases,
/// recorded from the binary before issue 14's refactor, which must keep every byte (diagnostics included).
@Suite struct GoldenTests {
    @Test(arguments: GoldenCase.all)
    func outputsMatchTheGoldenFiles(_ golden: GoldenCase) throws {
        let update = "if the change is intended: scripts/golden --update \(golden.name)"
        try #require(!(try golden.arguments).isEmpty, "\(golden.name)/args is missing or empty")
        let expected: GoldenCase.Outputs
        do { expected = try golden.expected() } catch {
            Issue.record("\(golden.name) has no expected outputs (\(error)); \(update)")
            return
        }
        let actual = try golden.run()
        var differences: [String] = []
        for (label, want, got) in [("status", expected.status, actual.status), ("stdout", expected.stdout, actual.stdout),
                                   ("stderr", expected.stderr, actual.stderr)] {
            if let difference = GoldenCase.firstDifference(expected: want, actual: got) { differences.append("\(label) differs at \(difference)") }
        }
        for path in Set(expected.files.keys).union(actual.files.keys).sorted() {
            switch (expected.files[path], actual.files[path]) {
            case let (want?, got?):
                if let difference = GoldenCase.firstDifference(expected: want, actual: got) { differences.append("files/\(path) differs at \(difference)") }
            case (_?, nil): differences.append("files/\(path) was not written")
            case (nil, _?): differences.append("files/\(path) was written but is not expected")
            case (nil, nil): break
            }
        }
        guard !differences.isEmpty else { return }
        let kept = try golden.keep(actual)
        Issue.record("""
            golden case \(golden.name): \(differences.joined(separator: "\n"))
            actual outputs: \(kept.path) (diff -r \(golden.expectedFolder.path) \(kept.path)); \(update)
            """)
    }

    /// The cases exercise every output format and every backfill target; an emptied or unreadable cases
    /// folder fails here instead of passing with no case.
    @Test func casesCoverEveryFormatAndEveryBackfillTarget() throws {
        let runs = try GoldenCase.all.map { try $0.arguments }
        func option(_ name: String, of arguments: [String]) -> String? {
            arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        func values(of name: String, for command: String, default value: String) -> Set<String> {
            Set(runs.filter { $0.first == command }.map { option(name, of: $0) ?? value })
        }
        #expect(values(of: "--format", for: "summarize", default: "table").isSuperset(of: ["table", "json", "csv"]))
        #expect(values(of: "--by", for: "summarize", default: "kind,errorCode").count >= 3)
        #expect(values(of: "--format", for: "records", default: "ndjson").isSuperset(of: ["ndjson", "csv", "json"]))
        #expect(runs.contains { $0.first == "records" && $0.contains("--explode") })
        #expect(runs.contains { $0.first == "records" && $0.contains("--fields") })
        #expect(values(of: "--format", for: "merge", default: "json").isSuperset(of: ["table", "json", "csv"]))
        // The targets backfill --help names, so a new target needs a case here.
        let help = try CLI.run(["backfill", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        let listed = try #require(help.range(of: "Targets: ").map { help[$0.upperBound...].prefix { $0 != "." } })
        let targets = Set(listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(targets.count >= 8, "\(targets)")
        #expect(values(of: "--target", for: "backfill", default: "(none)").isSuperset(of: targets))
        // Diagnostics: runs with malformed lines that exit 2 under --strict, and one with a missing input.
        // And a usage error (a merge of summaries grouped differently) for its shape on stderr.
        for status in ["1\n", "2\n", "64\n"] {
            #expect(try GoldenCase.all.contains { try $0.expected().status == Data(status.utf8) }, "no case exits with \(status)")
        }
    }

    /// The checked-in corpus is the one scripts/gen-corpus.py described when it wrote it (corpus-expected.json):
    /// counts worked out by the generator, not by the code under test.
    @Test func goldenCorpusHasTheGeneratorsTotals() throws {
        let generated = try JSONSerialization.jsonObject(with: Data(contentsOf: GoldenCase.root.appendingPathComponent("corpus-expected.json")))
        let expected = try #require((generated as? [String: Any])?[object: "totals"])
        let run = try CLI.run(["summarize", GoldenCase.corpus.path, "--format", "json", "-q"])
        let totals = try #require(try run.json()[object: "totals"])
        let shared = ["files", "bytesRead", "records", "malformed", "blankLines", "payloadBytes", "undecodable", "logEvents", "controlMessages"]
        for key in shared {
            #expect(expected[int: key] != nil && totals[int: key] == expected[int: key], "\(key): \(String(describing: totals[key])) vs \(String(describing: expected[key]))")
        }
        for key in ["firstArrival", "lastArrival"] {
            #expect(expected[key] as? String != nil && totals[key] as? String == expected[key] as? String, "\(key)")
        }
    }
}
