@testable import DeadLetterEngine
@testable import DeadLetterSupport
import Foundation
import Testing

/// Which copy of an SQS message counts is decided in input order, by one engine, for every command
/// (issue 14): a message read first at the end of a long file and again at the start of a short one counts
/// under the long file, however fast a second reader gets through the short one.
@Suite struct RepeatAttributionTests {
    static let longFileRecords = 200_000

    static func message(detail: String) -> String {
        let body = #"{\"version\":\"0\",\"id\":\"e-\#(detail)\",\"detail-type\":\"T\",\"source\":\"com.example\",\"time\":\"2024-03-05T14:00:00Z\",\"detail\":{\"v\":\"\#(detail)\"}}"#
        return #"{"messageId":"same","body":"\#(body)","attributes":{"SentTimestamp":"1709647200000"},"messageAttributes":{"RULE_ARN":{"stringValue":"arn:aws:events:us-east-1:1:rule/r"},"TARGET_ARN":{"stringValue":"arn:aws:lambda:us-east-1:1:function:f"},"ERROR_CODE":{"stringValue":"TIMEOUT"},"ERROR_MESSAGE":{"stringValue":"t"},"RETRY_ATTEMPTS":{"stringValue":"3"}}}"#
    }

    static func firehose(_ payload: String) -> String {
        #"{"attemptsMade":1,"arrivalTimestamp":1709647200000,"errorCode":"Lambda.FunctionError","rawData":"\#(Data(payload.utf8).base64EncodedString())"}"#
    }

    /// a.json: 200,000 records, message `same` (body A) on line 200,001, one record `tail` after it.
    /// b.json: `same` with body A again (a repeat). c.json: `same` with body B (a conflict, kept).
    static func makeInputs() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-repeats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var a = String(repeating: firehose("a") + "\n", count: longFileRecords)
        a += message(detail: "A") + "\n" + firehose("tail") + "\n"
        try Data(a.utf8).write(to: dir.appendingPathComponent("a.json"))
        try Data((message(detail: "A") + "\n").utf8).write(to: dir.appendingPathComponent("b.json"))
        try Data((message(detail: "B") + "\n").utf8).write(to: dir.appendingPathComponent("c.json"))
        return dir
    }

    static let conflictWarning = "deadletter: warning: c.json:1: SQS MessageId same was read before (a.json:200001) with a different body; both are kept\n"
    /// Everything each command says on stderr, in this order: the conflict where it is met, then the tail.
    static let stderr = conflictWarning
        + "deadletter: note: 1 SQS messages were read more than once (same MessageId) and counted once\n"
        + "deadletter: warning: 1 SQS messages reuse a MessageId read before with a different body; each was kept as a record of its own\n"

    /// Run with as many readers as the machine has cores (on one core the race this guards against cannot
    /// happen; `foldGivesWhatTheOrderedRunGives` covers more readers in process).
    @Test func summarizeRecordsAndBackfillCountTheSameCopy() throws {
        let dir = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs = ["a.json", "b.json", "c.json"]

        let summary = try CLI.run(["summarize"] + inputs + ["--by", "file", "--format", "json"], cwd: dir)
        #expect(summary.status == 0)
        #expect(summary.stderr == Self.stderr)
        let json = try summary.json()
        var counts: [String: Int] = [:]
        for group in json["groups"] as? [[String: Any]] ?? [] {
            if let file = (group["key"] as? [String: Any])?["file"] as? String { counts[file] = group["count"] as? Int }
        }
        // a.json: its 200,000 records, `same` and `tail`; b.json's copy is the repeat; c.json's is kept.
        #expect(counts == ["a.json": 200_002, "c.json": 1])
        let totals = try #require(json[object: "totals"])
        #expect(totals[int: "records"] == 200_003)
        #expect(totals[int: "repeats"] == 1)
        #expect(totals[int: "messageIdConflicts"] == 1)

        let records = try CLI.run(["records"] + inputs + ["--fields", "file,line,messageId", "--format", "csv"], cwd: dir)
        #expect(records.status == 0)
        #expect(records.stderr == Self.stderr)
        // CSV rows end in CRLF, one Character in Swift: split on any line break.
        let rows = records.stdout.split(whereSeparator: \.isNewline).map(String.init)
        #expect(rows.count == 1 + 200_003)
        #expect(rows.filter { $0.hasSuffix(",same") } == ["a.json,200001,same", "c.json,1,same"])

        let out = dir.appendingPathComponent("out")
        let backfill = try CLI.run(["backfill"] + inputs + ["--target", "raw", "--out", out.path], cwd: dir)
        #expect(backfill.status == 0)
        #expect(backfill.stderr == Self.stderr)
        #expect(backfill.stdout.hasPrefix("raw: 200,003 selected, 200,003 written, 0 rejected, 0 duplicates\n"))
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix("raw-") }.sorted()
        var entries: [String] = []
        for name in names {
            let text = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
            entries += text.split(whereSeparator: \.isNewline).map(String.init).filter { $0 != "a" }
        }
        // The kept copy of `same` is a.json's: before `tail`, and c.json's other body after it.
        #expect(entries.count == 3)
        #expect(entries.first?.contains(#""e-A""#) == true)
        #expect(entries.dropFirst().first == "tail")
        #expect(entries.last?.contains(#""e-B""#) == true)
    }

    /// The fold `summarize` uses, with 1 to 8 readers, gives what the ordered run gives with one: the same
    /// copies counted (by file), the same counts, the same malformed samples in input order.
    @Test func foldGivesWhatTheOrderedRunGives() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-fold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Six files; the first is long. `same` ends the long one and opens every other; each file has a
        // malformed line; file 3 holds `same` with another body.
        for i in 0..<6 {
            var lines = [String](repeating: Self.firehose("x\(i)"), count: i == 0 ? 20_000 : 3)
            lines.insert("not json \(i)", at: 1)
            if i == 0 { lines.append(Self.message(detail: "A")) } else { lines.insert(Self.message(detail: i == 3 ? "B" : "A"), at: 0) }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("f\(i).json"))
        }
        var options = InputOptions()
        options.paths = [dir.path]
        options.quiet = true
        options.progress = false
        let run = InputRun(options: options, diagnostics: Diagnostics(fd: -1))

        var byFile: [String: Int] = [:]
        var malformed: [String] = []
        let ordered = try run.run(workers: 1, prepare: { $0.file.path }) { event in
            switch event {
            case .record(let file): byFile[file, default: 0] += 1
            case .malformed(let m): malformed.append("\(m.file):\(m.line)")
            default: break
            }
            return true
        }
        // Worked out from the files: f0 keeps its 20,000 records and `same`; f1..f5 keep their 3 records;
        // f3's `same` (body B) is kept too; the other four copies of body A are repeats.
        let path = { (i: Int) in dir.appendingPathComponent("f\(i).json").path }
        #expect(byFile == [path(0): 20_001, path(1): 3, path(2): 3, path(3): 4, path(4): 3, path(5): 3])
        #expect(ordered.repeats == 4 && ordered.messageIdConflicts == 1 && ordered.malformed == 6)
        #expect(malformed == (0..<6).map { "\(path($0)):\($0 == 0 ? 2 : 3)" })

        for workers in [1, 2, 4, 8] {
            let fold = try run.fold(workers: workers, keepSamples: 4, makeState: { [String: Int]() },
                                    record: { counts, record in counts[record.file.path, default: 0] += 1 },
                                    file: { _, _ in })
            var merged: [String: Int] = [:]
            for state in fold.states { merged.merge(state, uniquingKeysWith: +) }
            #expect(merged == byFile, "\(workers) readers")
            #expect(fold.outcome.repeats == 4 && fold.outcome.messageIdConflicts == 1 && fold.outcome.malformed == 6)
            #expect(fold.malformedSamples.map { "\($0.file):\($0.line)" } == Array(malformed.prefix(4)))
        }
    }
}
