import Foundation
import Testing

/// The built binary, run the way a user runs it, on the shipped samples and on generated corpora whose
/// counts are known by construction (scripts/gen-corpus.py tallies while it writes).
@Suite(.serialized) struct EndToEndTests {
    func groupCounts(_ summary: [String: Any], fields: [String]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for group in summary[array: "groups"] ?? [] {
            let key = group[object: "key"] ?? [:]
            counts[fields.map { key[$0] as? String ?? "?" }.joined(separator: "|")] = group[int: "count"]
        }
        return counts
    }

    @Test func samplesMatchTheHandCountedTable() throws {
        // Expected values: docs/SAMPLES.md, tallied by scripts/make-samples.py as it wrote each record.
        let result = try CLI.run(["summarize", "samples/firehose", "--format", "json", "--by", "kind"])
        #expect(result.status == 0)
        let summary = try result.json()
        let totals = try #require(summary[object: "totals"])
        #expect(totals[int: "files"] == 19)
        #expect(totals[int: "records"] == 60)
        #expect(totals[int: "malformed"] == 5)
        #expect(totals[int: "blankLines"] == 2)
        #expect(totals[int: "lines"] == 76)
        #expect(totals[int: "bytesRead"] == 24162 + 1505)
        #expect(totals[int: "payloadBytes"] == 6466 + 103)
        #expect(totals[int: "undecodable"] == 1)
        #expect(totals[int: "logEvents"] == 7)
        #expect(totals[int: "controlMessages"] == 1)
        #expect(groupCounts(summary, fields: ["kind"]) == [
            "decompression-failed": 2, "format-conversion-failed": 7, "http-endpoint": 5, "iceberg": 3,
            "opensearch": 10, "opensearch-serverless": 2, "processing-failed": 19, "redshift-manifest": 2,
            "snowflake": 4, "splunk": 6,
        ])
        // records + malformed + blank lines = lines, except where objects share or span lines:
        // 3 back-to-back records on 1 line (+2), a manifest over 12 lines (-11).
        let records = totals[int: "records"]!, malformed = totals[int: "malformed"]!, blank = totals[int: "blankLines"]!
        #expect(records + malformed + blank - 2 + 11 == totals[int: "lines"]!)
        let samples = try #require(summary[array: "malformedSamples"])
        #expect(samples.map { $0[int: "line"] } == [2, 5, 6, 7, 10])
    }

    @Test(arguments: [1, 7])
    func generatedCorpusMatchesByConstruction(seed: Int) throws {
        let (dir, expected) = try CLI.generateCorpus(records: 3000, seed: seed)
        defer { try? FileManager.default.removeItem(at: dir) }
        let expectedTotals = try #require(expected[object: "totals"])
        let expectedGroups = try #require(expected[object: "groups"])
        for by in ["kind", "errorCode", "payloadType", "hour", "logGroup", "kind,errorCode"] {
            let result = try CLI.run(["summarize", dir.appendingPathComponent("corpus").path, "--format", "json", "--by", by])
            #expect(result.status == 0, "\(result.stderr)")
            let summary = try result.json()
            let totals = try #require(summary[object: "totals"])
            for key in ["files", "bytesRead", "records", "malformed", "blankLines", "lines", "payloadBytes", "undecodable", "logEvents", "controlMessages"] {
                #expect(totals[int: key] == expectedTotals[int: key], "totals.\(key)")
            }
            #expect(totals["firstArrival"] as? String == expectedTotals["firstArrival"] as? String)
            #expect(totals["lastArrival"] as? String == expectedTotals["lastArrival"] as? String)
            let want = (expectedGroups[object: by] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? -1 }
            #expect(groupCounts(summary, fields: by.split(separator: ",").map(String.init)) == want, "groups by \(by)")
            // Every line accounted for: back-to-back records share lines.
            let backToBack = expectedTotals[int: "backToBackRecords"] ?? 0
            let backToBackFiles = (expected[object: "fileFormats"]?[int: "b2b"]) ?? 0
            #expect(totals[int: "records"]! + totals[int: "malformed"]! + totals[int: "blankLines"]! - backToBack + backToBackFiles
                    == totals[int: "lines"]!)
        }
    }

    @Test func truncatedGzipIsReportedTheRestIsCountedAndTheExitStatusIs1() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = (0..<40).map { #"{"rawData":"YQ==","errorCode":"Splunk.AckTimeout","attemptsMade":\#($0)}"# + "\n" }
        let good = try Harness.gzip(Array(lines[0..<30].joined().utf8))
        let second = try Harness.gzip(Array(lines[30...].joined().utf8))
        let folder = dir.appendingPathComponent("splunk-failed/2024/03/05/14")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(good + second.prefix(5)).write(to: folder.appendingPathComponent("a-1-2024-03-05-14-00-00-c7cc019b-af51-412d-b641-b3b44ceb3d87.gz"))
        try Data(Array(lines[0..<10].joined().utf8)).write(to: folder.appendingPathComponent("b.json"))
        let result = try CLI.run(["summarize", dir.path, "--format", "json"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("truncated gzip stream"))
        let totals = try #require(try result.json()[object: "totals"])
        #expect(totals[int: "records"] == 40)
        #expect(totals[int: "files"] == 2)
        #expect(totals[int: "inputErrors"] == 1)
    }

    @Test func missingPathIsReportedAndTheOthersAreRead() throws {
        let result = try CLI.run(["summarize", "does/not/exist", "samples/firehose/mixed", "--format", "json"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("deadletter: does/not/exist: No such file or directory"))
        #expect(try result.json()[object: "totals"]?[int: "records"] == 4)
    }

    @Test func strictTurnsMalformedInputIntoStatus2() throws {
        #expect(try CLI.run(["summarize", "samples/firehose/mixed"]).status == 0)
        #expect(try CLI.run(["summarize", "samples/firehose/mixed", "--strict"]).status == 2)
        #expect(try CLI.run(["summarize", "samples/firehose/bucket", "--strict"]).status == 0)
    }

    @Test func malformedLinesAreReportedWithFileLineAndReason() throws {
        let result = try CLI.run(["summarize", "samples/firehose/mixed"])
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("malformed") }
        #expect(warnings.count == 5)
        #expect(warnings.first?.hasPrefix("deadletter: warning: samples/firehose/mixed/processing-failed/2024/03/05/14/") == true)
        #expect(warnings.first?.contains(":2: malformed: not JSON") == true)
    }

    @Test(arguments: [["summarize", "--by", "nosuchfield", "samples/firehose"], ["summarize", "--kind", "nosuchkind", "samples/firehose"],
                      ["summarize", "--format", "xml", "samples/firehose"], ["summarize", "--top", "0", "samples/firehose"], ["nosuchcommand"]])
    func usageErrorsExit64(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64)
        #expect(!result.stderr.isEmpty)
    }

    @Test func unknownFieldListsTheValidOnes() throws {
        let result = try CLI.run(["summarize", "--by", "colour", "samples/firehose"])
        #expect(result.stderr.contains("valid fields: kind, errorCode"))
    }

    @Test func stdinIsReadWhenNoPathIsGiven() throws {
        let path = CLI.packageRoot.appendingPathComponent("samples/firehose/bucket/processing-failed/2024/03/05/14/orders-transform-7-2024-03-05-14-02-11-e2375ac7-02f4-499e-b4d3-58aa876d730c.gz")
        let data = try Data(contentsOf: path)
        let piped = try CLI.run(["summarize", "--format", "json", "--by", "errorCode"], stdin: data)
        let named = try CLI.run(["summarize", "--format", "json", "--by", "errorCode", path.path])
        #expect(piped.status == 0)
        #expect(groupCounts(try piped.json(), fields: ["errorCode"]) == groupCounts(try named.json(), fields: ["errorCode"]))
        #expect(try piped.json()[object: "totals"]?[int: "records"] == 6)
        let dash = try CLI.run(["summarize", "-", "--format", "json"], stdin: data)
        #expect(try dash.json()[object: "totals"]?[int: "records"] == 6)
    }

    @Test func kindFiltersRecords() throws {
        let result = try CLI.run(["summarize", "samples/firehose", "--kind", "splunk", "--format", "json", "--by", "kind"])
        let summary = try result.json()
        #expect(groupCounts(summary, fields: ["kind"]) == ["splunk": 6])
        #expect(summary[object: "totals"]?[int: "records"] == 6)
    }

    @Test func topFoldsTheRestIntoOther() throws {
        let all = try CLI.run(["summarize", "samples/firehose", "--format", "json", "--by", "kind"]).json()
        let top = try CLI.run(["summarize", "samples/firehose", "--format", "json", "--by", "kind", "--top", "3"]).json()
        let groups = try #require(top[array: "groups"])
        #expect(groups.count == 4)
        let other = try #require(groups.last)
        #expect((other[object: "key"]?["kind"] as? String) == "(other)")
        let allCounts = (all[array: "groups"] ?? []).compactMap { $0[int: "count"] }
        #expect(other[int: "count"] == allCounts.dropFirst(3).reduce(0, +))
        #expect(top["exactlyMergeable"] as? Bool == false)
    }

    @Test func csvHasAHeaderAndOneRowPerGroup() throws {
        let result = try CLI.run(["summarize", "samples/firehose", "--format", "csv", "--by", "kind,errorCode"])
        let rows = result.stdout.split(separator: "\r\n")
        #expect(rows.first == "kind,errorCode,count,payloadBytes,firstArrival,lastArrival,attemptsMin,attemptsMax,logEvents")
        let json = try CLI.run(["summarize", "samples/firehose", "--format", "json", "--by", "kind,errorCode"]).json()
        #expect(rows.count - 1 == json[array: "groups"]?.count)
    }

    @Test func tableFitsEightyColumnsAndShowsTotalsFirst() throws {
        let result = try CLI.run(["summarize", "samples/firehose", "--by", "kind,errorCode"], environment: ["COLUMNS": "80"])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("60 records, 5 malformed, 2 blank lines in 19 files") == true)
        #expect(lines.contains { $0.hasPrefix("arrival 2017-09-21T23:09:14.675Z .. ") })
        for line in lines { #expect(line.count <= 80, "\(line)") }
        #expect(!result.stdout.contains("\u{1B}["))   // not a terminal: no colour
        let wide = try CLI.run(["summarize", "samples/firehose", "--by", "kind,errorCode", "--wide"], environment: ["COLUMNS": "80"])
        #expect(wide.stdout.contains("DataFormatConversion.MalformedData"))
    }

    @Test func colorAlwaysColoursAndNoColorWinsOverAuto() throws {
        let coloured = try CLI.run(["summarize", "samples/firehose", "--color", "always"])
        #expect(coloured.stdout.contains("\u{1B}["))
        // On a pipe auto is off anyway: NO_COLOR and --color never are only tested where auto would colour.
        let summarize = CLI.shellQuoted(CLI.binary.path) + " summarize samples/firehose -q"
        let terminal = try CLI.underTerminal(summarize)
        #expect(terminal.contains("\u{1B}[1mKIND"), "no colour on a terminal: \(terminal)")
        for (label, screen) in [("NO_COLOR=1", try CLI.underTerminal(summarize, environment: ["NO_COLOR": "1"])),
                                ("--color never", try CLI.underTerminal(summarize + " --color never"))] {
            #expect(screen.contains("KIND"), "\(label): no table: \(screen)")
            #expect(!screen.contains("\u{1B}["), "\(label): colour on a terminal")
        }
    }

    @Test func hostileErrorCodesCannotDriveTheTerminal() throws {
        let line = #"{"rawData":"YQ==","errorCode":"Lambda.\u001b[2J\u001b]0;pwned\u0007"}"# + "\n"
        let result = try CLI.run(["summarize", "--by", "errorCode"], stdin: Data(line.utf8))
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(result.stdout.contains("\\x1B[2J"))
    }

    @Test func versionAndHelp() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try CLI.run(["summarize", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--by"))
        #expect(help.stdout.contains("errorCode"))
    }
}
