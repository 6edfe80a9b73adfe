import Foundation
import Testing

/// Every line and every file is accounted for exactly once, on inputs that break the easy cases: junk after
/// a record on its line, empty files, one MessageId with two bodies, files reached through several links.
@Suite(.serialized) struct AccountingTests {
    static let record = #"{"rawData":"YQ==","errorCode":"X","arrivalTimestamp":1709647200000}"#

    func folder() throws -> URL { try CLI.temporaryDirectory() }

    // MARK: 8. junk after a record on the same line

    @Test func junkAfterARecordCountsTheLineOnceUnderItsOwnTotal() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Eight lines: four records followed by junk, one plain record, one junk line, one blank line, and a
        // record followed by an object that is no failure record.
        var bytes = Data()
        bytes += Data((Self.record + ",\n").utf8)                 // 1: a comma, as in a hand-made array
        bytes += Data((Self.record + " x\n").utf8)                // 2: a word
        bytes += Data(Self.record.utf8) + Data([0xEF, 0xBB, 0xBF, 0x0A]) // 3: a BOM after the record
        bytes += Data(Self.record.utf8) + Data([0x00, 0x0A])      // 4: a NUL
        bytes += Data((Self.record + "\n").utf8)                  // 5
        bytes += Data("not json at all\n".utf8)                   // 6
        bytes += Data("\n".utf8)                                   // 7
        bytes += Data((Self.record + #" {"a":1}"# + "\n").utf8)    // 8
        let file = dir.appendingPathComponent("in.json")
        try bytes.write(to: file)

        let r = try CLI.run(["summarize", file.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let totals = try #require(try r.json()[object: "totals"])
        #expect(totals[int: "lines"] == 8)
        #expect(totals[int: "records"] == 6)
        #expect(totals[int: "malformed"] == 1)
        #expect(totals[int: "blankLines"] == 1)
        #expect(totals[int: "trailingJunk"] == 5)
        #expect(totals[int: "records"]! + totals[int: "malformed"]! + totals[int: "blankLines"]! == totals[int: "lines"]!)
        for line in 1...4 {
            #expect(r.stderr.contains("in.json:\(line): trailing junk after a JSON object: not JSON"), "line \(line): \(r.stderr)")
        }
        #expect(r.stderr.contains("in.json:6: malformed: not JSON"))
        #expect(r.stderr.contains("in.json:8: trailing junk after a JSON object: JSON object without failure fields"))

        // records lists the six records (the ordered engine counts alike); --strict treats trailing junk as
        // malformed input in both engines.
        let rows = try CLI.run(["records", file.path, "-q"])
        #expect(rows.stdout.split(separator: "\n").count == 6)
        #expect(try CLI.run(["summarize", file.path, "--strict", "-q"]).status == 2)
        let junkOnly = dir.appendingPathComponent("junk-only.json")
        try Data((Self.record + ",\n").utf8).write(to: junkOnly)
        #expect(try CLI.run(["records", junkOnly.path, "--strict", "-q"]).status == 2)
        #expect(try CLI.run(["records", junkOnly.path, "-q"]).status == 0)
        let clean = dir.appendingPathComponent("clean.json")
        try Data((Self.record + "\n").utf8).write(to: clean)
        #expect(try CLI.run(["records", clean.path, "--strict", "-q"]).status == 0)
    }

    @Test func trailingJunkIsFlaggedByTheFrameReader() {
        let text = Self.record + " tail\n" + Self.record + "\n{\"a\":1} {\"rawData\":\"cut\n"
        let result = Harness.read(text)
        #expect(result.records.count == 2)
        #expect(result.malformed.map(\.line) == [1, 3, 3])
        // Line 1: junk after a record. Line 3: an object that is no failure record (a malformed unit of its
        // own), then a record cut short after it on the same line (trailing).
        #expect(result.malformed.map(\.trailing) == [true, false, true])
    }

    @Test func linesHoldingOnlyTheBracketsOfAnArrayAreBlank() {
        // Found by the framing fuzzer: `[]` was a line with no record, no malformed unit and not blank.
        let empty = Harness.read("[]")
        #expect((empty.lines, empty.blankLines, empty.records.count, empty.malformed.count) == (1, 1, 0, 0))
        // A pretty-printed array of one-line records: the bracket lines are blank, so the identity holds.
        let pretty = Harness.read("[\n" + Self.record + ",\n" + Self.record + "\n]\n")
        #expect((pretty.lines, pretty.blankLines, pretty.records.count, pretty.malformed.count) == (4, 2, 2, 0))
        let oneLine = Harness.read("[" + Self.record + ",\n" + Self.record + "]\n")
        #expect((oneLine.lines, oneLine.blankLines, oneLine.records.count) == (2, 0, 2))
        // An array left open is a malformed unit of the line where the next one starts, not also a blank line.
        let unclosed = Harness.read("[\n" + Self.record + "\n[\n" + Self.record + "\n]\n")
        #expect(unclosed.malformed.map(\.line) == [3])
        #expect(unclosed.records.count + unclosed.malformed.count + unclosed.blankLines == unclosed.lines)
    }

    // MARK: 10. empty files

    @Test func anEmptyFileIsNotedWithItsPath() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data().write(to: dir.appendingPathComponent("empty.json"))
        try Data((Self.record + "\n").utf8).write(to: dir.appendingPathComponent("full.json"))
        let r = try CLI.run(["summarize", dir.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: \(dir.path)/empty.json: empty file (0 bytes)"))
        let totals = try #require(try r.json()[object: "totals"])
        #expect(totals[int: "files"] == 2)
        #expect(totals[int: "records"] == 1)
    }

    // MARK: 11. one MessageId, two bodies

    static func message(id: String, detail: String, file: String = "") -> String {
        let body = #"{"version":"0","id":"e-\#(detail)","detail-type":"T","source":"com.example","time":"2024-03-05T14:00:00Z","detail":{"v":"\#(detail)"}}"#
        let quoted = String(data: try! JSONSerialization.data(withJSONObject: [body], options: [.withoutEscapingSlashes]), encoding: .utf8)!.dropFirst().dropLast()
        return #"{"messageId":"\#(id)","body":\#(quoted),"attributes":{"SentTimestamp":"1709647200000"},"messageAttributes":{"RULE_ARN":{"stringValue":"arn:aws:events:us-east-1:1:rule/r"},"TARGET_ARN":{"stringValue":"arn:aws:lambda:us-east-1:1:function:f"},"ERROR_CODE":{"stringValue":"TIMEOUT"},"ERROR_MESSAGE":{"stringValue":"t"},"RETRY_ATTEMPTS":{"stringValue":"3"}}}"#
    }

    @Test func aMessageIdWithAnotherBodyIsAConflictKeptNotARepeatDropped() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // a.json: m1 (body A), m2. b.json: m1 again with body A (a repeat), m1 with body B (a conflict).
        try Data((Self.message(id: "m1", detail: "A") + "\n" + Self.message(id: "m2", detail: "C") + "\n").utf8)
            .write(to: dir.appendingPathComponent("a.json"))
        try Data((Self.message(id: "m1", detail: "A") + "\n" + Self.message(id: "m1", detail: "B") + "\n").utf8)
            .write(to: dir.appendingPathComponent("b.json"))

        let summary = try CLI.run(["summarize", dir.path, "--format", "json"])
        #expect(summary.status == 0, "\(summary.stderr)")
        let totals = try #require(try summary.json()[object: "totals"])
        #expect(totals[int: "records"] == 3)
        #expect(totals[int: "repeats"] == 1)
        #expect(totals[int: "messageIdConflicts"] == 1)
        // Every command decides in input order, summarize too, however its readers are scheduled.
        #expect(summary.stderr.contains("b.json:2: SQS MessageId m1 was read before (\(dir.path)/a.json:1) with a different body; both are kept"))

        // records and backfill keep the conflicting body too.
        let rows = try CLI.run(["records", dir.path, "--fields", "messageId,payload.detail.v", "--format", "csv", "-q"])
        #expect(rows.stdout == "messageId,payload.detail.v\r\nm1,A\r\nm2,C\r\nm1,B\r\n" || rows.stdout == "messageId,payload.detail.v\nm1,A\nm2,C\nm1,B\n", "\(rows.stdout)")
        let records = try CLI.run(["records", dir.path])
        #expect(records.stderr.contains("b.json:2: SQS MessageId m1 was read before (\(dir.path)/a.json:1) with a different body; both are kept"))
        let outside = try folder()
        defer { try? FileManager.default.removeItem(at: outside) }
        let out = outside.appendingPathComponent("out")
        let backfill = try CLI.run(["backfill", dir.path, "--target", "eventbridge", "--out", out.path, "-q"])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as! [String: Any]
        #expect(manifest[object: "totals"]?[int: "written"] == 3)
        #expect(manifest[object: "totals"]?[int: "duplicates"] == 0)
    }

    // MARK: 13. one file, several ways to it

    @Test func aFileReachedThroughSeveralLinksIsReadOnce() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let real = dir.appendingPathComponent("tree/a")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try Data((Self.record + "\n" + Self.record + "\n").utf8).write(to: real.appendingPathComponent("x.json"))
        // tree/b is a second way to tree/a; tree/c.json a second name of the file.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("tree/b").path, withDestinationPath: real.path)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("tree/c.json").path,
                                                   withDestinationPath: real.appendingPathComponent("x.json").path)
        let tree = dir.appendingPathComponent("tree")
        let r = try CLI.run(["summarize", tree.path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let totals = try #require(try r.json()[object: "totals"])
        #expect(totals[int: "records"] == 2)
        #expect(totals[int: "files"] == 1)
        #expect(r.stderr.contains("\(tree.path)/b: the same directory as \(tree.path)/a (another link to it); read once"))
        #expect(r.stderr.contains("\(tree.path)/c.json: the same file as \(tree.path)/a/x.json (another link to it); read once"))

        // Named twice on the command line: read once as well.
        let twice = try CLI.run(["summarize", tree.path, real.appendingPathComponent("x.json").path, "--format", "json", "-q"])
        #expect(try twice.json()[object: "totals"]?[int: "records"] == 2)
    }
}
