@testable import DeadLetterEngine
@testable import DeadLetterBytes
import Foundation
import Testing

/// Bugs found in review, each pinned by the input that showed it.
@Suite struct FramingRegressionTests {
    static let rec = #"{"rawData":"aGVsbG8=","errorCode":"X"}"#

    @Test(arguments: [1, 5, 1 << 20])
    func recordCutAfterAColonDoesNotSwallowTheNextLines(chunk: Int) {
        let r = Harness.read(#"{"rawData":"aGVsbG8=","errorCode":"# + "\n" + [Self.rec, Self.rec, Self.rec].joined(separator: "\n") + "\n", chunk: chunk)
        #expect(r.records.count == 3)
        #expect(r.malformed.map(\.line) == [1])
        #expect(r.lines == 4)
    }

    @Test func recordCutInsideAnArrayOrBeforeABlankLine() {
        let a = Harness.read("{\"x\":[\n\(Self.rec)\n\(Self.rec)\n")
        #expect(a.records.count == 2)
        #expect(a.malformed.count == 1)
        #expect(a.lines == 3)
        let b = Harness.read("{\"a\":\n\n\(Self.rec)\n")
        #expect(b.records.count == 1)
        #expect(b.malformed.count == 1)
        #expect(b.blankLines == 1)
        #expect(b.records.count + b.malformed.count + b.blankLines == b.lines)
    }

    @Test(arguments: [64, 1 << 20])
    func maxRecordBytesHoldsWhereverTheRecordFalls(chunk: Int) {
        var options = ReadOptions()
        options.maxRecordBytes = 30   // every record below is 40 bytes
        let r = Harness.read([Self.rec, Self.rec, Self.rec].joined(separator: "\n") + "\n", chunk: chunk, options: options)
        #expect(r.records.isEmpty)
        #expect(r.malformed.count == 3)
        #expect(r.malformed.allSatisfy { $0.reason.contains("--max-record-bytes") })
    }

    @Test func anUnclosedArrayDoesNotSwallowTheNextArray() {
        let r = Harness.read("[\(Self.rec)\n[\(Self.rec),\(Self.rec)]\n\(Self.rec)\n")
        #expect(r.records.count == 4)
        #expect(r.malformed.map(\.reason) == ["a JSON array was not closed before this line"])
        let open = Harness.read("[\(Self.rec),\n\(Self.rec)\n")
        #expect(open.records.count == 2)
        #expect(open.malformed.map(\.reason) == ["the input ended inside a JSON array"])
    }

    @Test func objectsNamedMessagesAreNotSQSOutputs() {
        let r = Harness.read(#"{"messages":"hi"}"# + "\n" + #"{"Messages":5}"# + "\n")
        #expect(r.records.isEmpty)
        #expect(r.malformed.count == 2)
    }

    /// Formatting is total, so a time past the year 9999 still has a text, with a longer or signed year;
    /// reading it back says it is out of range (summarize never writes one: such record times are problems).
    @Test func extendedYearsAreWrittenButReadAsOutOfRange() {
        for (ms, text): (Int64, String) in [(1_000_000_000_000_000, "33658-09-27T01:46:40.000Z"),
                                            (-62_200_000_000_000, "-0002-12-17T14:13:20.000Z"),
                                            (253_402_300_800_000, "10000-01-01T00:00:00.000Z")] {
            #expect(UTCTime.rfc3339(ms) == text)
            #expect(throws: TimeProblem.outOfRange) { try UTCTime.parse(rfc3339: text) }
        }
        #expect(UTCTime.parseRFC3339("99-01-01") == nil)
    }

    @Test func compactJSONEscapesCharactersThatActOnTerminals() {
        let json = "{\"m\":\"a\u{9B}2J\u{202E}x\u{2028}y\u{7F}\"}"
        let out = Array(json.utf8).withUnsafeBufferPointer { String(decoding: JSONText.compact($0), as: UTF8.self) }
        #expect(out == #"{"m":"a\u009b2J\u202ex\u2028y\u007f"}"#)
        // Still the same JSON value.
        let a = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        let b = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String]
        #expect(a == b)
    }

    @Test func csvCellsShowControlsVisibly() {
        #expect(CSVOutput.cell("\u{1B}[31mred") == "\\x1B[31mred")
        #expect(CSVOutput.cell("a\u{9B}b") == "a\\x9Bb")
        #expect(CSVOutput.cell("two\nlines") == "\"two\nlines\"")
    }
}

@Suite(.serialized) struct CommandRegressionTests {
    @Test func mergingAMergedInexactSummaryStaysInexact() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let top = dir.appendingPathComponent("top.json"), full = dir.appendingPathComponent("full.json"), m1 = dir.appendingPathComponent("m1.json")
        try Data(try CLI.run(["summarize", "samples/firehose", "--format", "json", "--top", "2"]).stdout.utf8).write(to: top)
        try Data(try CLI.run(["summarize", "samples/firehose", "--format", "json"]).stdout.utf8).write(to: full)
        try Data(try CLI.run(["merge", top.path, full.path]).stdout.utf8).write(to: m1)
        let again = try CLI.run(["merge", m1.path, full.path])
        #expect(try again.json()["exactlyMergeable"] as? Bool == false)
        #expect(again.stderr.contains("not exact"))
    }

    @Test func mergingShardsOfSQSDumpsSaysRepeatsMayBeCountedTwice() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.json"), b = dir.appendingPathComponent("b.json")
        try Data(try CLI.run(["summarize", "samples/eventbridge-dlq/receive-message-dumps.json", "--format", "json"]).stdout.utf8).write(to: a)
        try Data(try CLI.run(["summarize", "samples/eventbridge-dlq/single-message.json", "--format", "json"]).stdout.utf8).write(to: b)
        let merged = try CLI.run(["merge", a.path, b.path])
        #expect(merged.stderr.contains("summaries carry no message ids"))
        #expect(try merged.json()["exactlyMergeable"] as? Bool == false)
    }

    @Test func splunkHECStripsACRLFEnding() throws {
        let line = #"{"rawData":"\#(Data("hello\r\n".utf8).base64EncodedString())","errorCode":"Splunk.IndexerBusy","arrivalTimestamp":1000}"# + "\n"
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        _ = try CLI.run(["backfill", "-", "--target", "splunk-hec", "--out", out.path, "-q"], stdin: Data(line.utf8))
        let body = String(decoding: try Data(contentsOf: out.appendingPathComponent("splunk-hec-00001.json")), as: UTF8.self)
        #expect(body == "{\"time\":1.000,\"event\":\"hello\"}\n")
    }

    @Test func forceReplacesAnOutDirectoryWithFoldersCompletely() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        let line = #"{"rawData":"eA==","errorCode":"Lambda.X"}"# + "\n"
        // An earlier backfill output (--force replaces nothing else) that folders were added to since.
        #expect(try CLI.run(["backfill", "-", "--target", "raw", "--out", out.path, "-q"], stdin: Data(line.utf8)).status == 0)
        try FileManager.default.createDirectory(at: out.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: out.appendingPathComponent("sub/deeper/keep"))
        try Data("y".utf8).write(to: out.appendingPathComponent("file"))
        let run = try CLI.run(["backfill", "-", "--target", "raw", "--out", out.path, "--force", "-q"], stdin: Data(line.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["manifest.json", "raw-00001.txt", "rejects.ndjson"])
    }

    @Test func noProgressIsAccepted() throws {
        #expect(try CLI.run(["summarize", "samples/firehose", "--no-progress", "-q"]).status == 0)
    }
}

/// The string loops skip plain bytes eight at a time and then jump to the first byte that needs a look.
/// A special byte in any of the eight positions of a block, or in the tail after the last whole block,
/// must be found exactly; expectations are written out by hand per special byte.
@Suite struct ByteSkippingTests {
    /// (special text, as JSON string content, as JSON output writes it)
    static let specials: [(raw: String, written: String)] = [
        ("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{01}", #"\u0001"#), ("\u{01} ", #"\u0001 "#),
        ("\u{7F}", #"\u007f"#), ("é", "é"), ("\u{2028}", #"\u2028"#), ("\u{9B}", #"\u009b"#),
    ]

    @Test func quotingFindsTheSpecialByteInEveryPosition() {
        for lead in 0..<20 {
            for (raw, written) in Self.specials {
                var out: [UInt8] = []
                JSONOutput.appendQuoted(String(repeating: "a", count: lead) + raw + "bbbbb", to: &out)
                let expected = "\"" + String(repeating: "a", count: lead) + written + "bbbbb\""
                #expect(String(decoding: out, as: UTF8.self) == expected, "lead \(lead), \(written)")
            }
        }
    }

    @Test func compactionFindsTheSpecialByteInEveryPosition() {
        // Inside a JSON string only DEL and the terminal-moving characters change; escapes stay as given.
        let inString: [(json: String, compacted: String)] = [
            (#"\""#, #"\""#), (#"\\"#, #"\\"#), (#"\n"#, #"\n"#), ("\u{7F}", #"\u007f"#), ("é", "é"),
            ("\u{2028}", #"\u2028"#), ("\u{9B}", #"\u009b"#), (#"\u0041"#, #"\u0041"#),
        ]
        for lead in 0..<20 {
            for (json, compacted) in inString {
                let a = String(repeating: "a", count: lead)
                let input = "{ \"m\" :\n \"\(a)\(json)bbbbb\" , \"n\": [ 1 ,2 ] }"
                let out = Array(input.utf8).withUnsafeBufferPointer { String(decoding: JSONText.compact($0), as: UTF8.self) }
                #expect(out == "{\"m\":\"\(a)\(compacted)bbbbb\",\"n\":[1,2]}", "lead \(lead), \(json)")
            }
        }
    }

    @Test func unescapingFindsEveryEscapeWhereverItFalls() throws {
        for lead in 0..<20 {
            for gap in [0, 1, 7, 8, 9, 23] {
                let content = String(repeating: "a", count: lead) + #"\""# + String(repeating: "b", count: gap) + #"\u00e9\/\\"#
                    + String(repeating: "c", count: gap) + #"\n\ud83d\ude00"# + String(repeating: "d", count: lead)
                // Foundation's JSON parser is the independent reference for what the escapes mean.
                let expected = try #require(try JSONSerialization.jsonObject(with: Data(("\"" + content + "\"").utf8), options: .fragmentsAllowed) as? String)
                var out: [UInt8] = []
                Array(content.utf8).withUnsafeBufferPointer { JSONText.unescape($0, into: &out) }
                #expect(String(decoding: out, as: UTF8.self) == expected, "lead \(lead), gap \(gap)")
            }
        }
    }

    @Test func scannerFindsStringEndsEscapesAndControlsInEveryPosition() {
        // Past 8 bytes the scanner hands long strings to a loop of 16-byte rounds and one 8-byte block.
        for lead in 0..<48 {
            let a = String(repeating: "a", count: lead)
            // The closing quote in every position: the value's bounds are exact.
            var members: [ScannedMember] = []
            var scanner = JSONScanner()
            let plain = Array("{\"k\":\"\(a)\",\"z\":1}".utf8)
            let outcome = plain.withUnsafeBufferPointer { scanner.scan($0.baseAddress!, start: 0, end: $0.count, atEOF: true, members: &members) }
            #expect(outcome == .complete(end: plain.count, newlines: 0))
            #expect(members.count == 2 && members[0].valueStart == 6 && members[0].valueEnd == 6 + lead && !members[0].valueEscaped)
            // An escape in every position is seen, and the string goes on after it.
            let escaped = Array("{\"k\":\"\(a)\\\"bbbbbbbbbbbb\"}".utf8)
            _ = escaped.withUnsafeBufferPointer { scanner.scan($0.baseAddress!, start: 0, end: $0.count, atEOF: true, members: &members) }
            #expect(members.count == 1 && members[0].valueEnd == 6 + lead + 2 + 12 && members[0].valueEscaped)
            // A raw control character in every position is refused at its own offset, even when a space
            // (which a borrow from the control lane flags too) follows it.
            let control = Array("{\"k\":\"\(a)\u{01} bbbbbbbbbb\"}".utf8)
            let refused = control.withUnsafeBufferPointer { scanner.scan($0.baseAddress!, start: 0, end: $0.count, atEOF: true, members: &members) }
            #expect(refused == .invalid(at: 6 + lead, reason: "control character 0x1 inside a string"))
        }
    }
}
