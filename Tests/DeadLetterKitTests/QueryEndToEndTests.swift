import Foundation
import Testing

@Suite(.serialized) struct QueryEndToEndTests {
    static func files(under dir: URL) -> [String] {
        let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])!
        var paths: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            paths.append(url.path)
        }
        return paths.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Times are written straight into the row; the expected texts are worked out by hand from the
    /// milliseconds (1709647200123 is 2024-03-05 14:00:00.123 UTC; 253402300799999 is the last millisecond
    /// of the year 9999, the last RFC 3339 carries; 253402300800000, the first of the year 10000, is out of
    /// range and reads as missing; -1 is the last millisecond of 1969).
    @Test func recordTimesAreRFC3339InEveryFormat() throws {
        let input = [
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":1709647200123,"attemptEndingTimestamp":253402300799999}"#,
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":-1,"attemptEndingTimestamp":0}"#,
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":-1,"attemptEndingTimestamp":253402300800000}"#,
        ].joined(separator: "\n") + "\n"
        let ndjson = try CLI.run(["records"], stdin: Data(input.utf8))
        let rows = try ndjson.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.map { $0["arrival"] as? String } == ["2024-03-05T14:00:00.123Z", "1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"])
        #expect(rows.map { $0["attemptEnding"] as? String } == ["9999-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z", nil])
        #expect(ndjson.stderr.contains("-:3: attemptEndingTimestamp 253402300800000: outside the supported range"))
        let csv = try CLI.run(["records", "-q", "--format", "csv", "--fields", "arrival"], stdin: Data(input.utf8))
        #expect(csv.stdout == "arrival\r\n2024-03-05T14:00:00.123Z\r\n1969-12-31T23:59:59.999Z\r\n1969-12-31T23:59:59.999Z\r\n")
    }

    /// Runs of empty columns are written in one piece: at the start of a row, between values, at the end,
    /// and as the whole row. The expected lines are written out by hand.
    @Test func emptyColumnsAreNullWhereverTheyFall() throws {
        let input = Data((#"{"rawData":"aGk=","errorCode":"X","attemptsMade":2}"# + "\n").utf8)
        for (fields, expected) in [
            ("documentId,index,errorCode", #"{"documentId":null,"index":null,"errorCode":"X"}"#),
            ("errorCode,documentId,rule,attempts,index", #"{"errorCode":"X","documentId":null,"rule":null,"attempts":2,"index":null}"#),
            ("documentId,index", #"{"documentId":null,"index":null}"#),
        ] {
            let run = try CLI.run(["records", "-q", "--fields", fields], stdin: input)
            #expect(run.stdout == expected + "\n")
        }
    }

    @Test func recordsListsExactlyTheRecordsSummarizeCounts() throws {
        let (dir, expected) = try CLI.generateCorpus(records: 2500, seed: 11)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus").path
        let ndjson = try CLI.run(["records", corpus])
        #expect(ndjson.status == 0)
        let lines = ndjson.stdout.split(separator: "\n")
        let expectedRecords = try #require(expected[object: "totals"]?[int: "records"])
        #expect(lines.count == expectedRecords)
        let summary = try CLI.run(["summarize", corpus, "--format", "json"]).json()
        #expect(summary[object: "totals"]?[int: "records"] == lines.count)
        // Every line is a JSON object with the contract's keys.
        for line in lines.prefix(200) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["kind", "errorCode", "errorMessage", "attemptsMade", "arrival", "attemptEnding", "file", "line", "payloadType", "payload"] {
                #expect(object.keys.contains(key), "missing \(key)")
            }
        }
        // JSON array output holds the same number of records.
        let array = try CLI.run(["records", corpus, "--format", "json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(array.stdout.utf8)) as? [Any])
        #expect(parsed.count == expectedRecords)
        // --explode gives one row per DATA_MESSAGE event.
        let exploded = try CLI.run(["records", corpus, "--explode"])
        #expect(exploded.stdout.split(separator: "\n").count == expected[object: "totals"]?[int: "logEvents"])
    }

    @Test func filtersAgreeBetweenRecordsAndSummarize() throws {
        let (dir, expected) = try CLI.generateCorpus(records: 1500, seed: 5)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus").path
        let byKind = (expected[object: "groups"]?[object: "kind"] ?? [:]).mapValues { ($0 as? NSNumber)?.intValue ?? 0 }
        let splunk = try CLI.run(["records", corpus, "--where", "kind=splunk"]).stdout.split(separator: "\n").count
        #expect(splunk == byKind["splunk"])
        let notSplunk = try CLI.run(["records", corpus, "--where", "kind!=splunk"]).stdout.split(separator: "\n").count
        #expect(splunk + notSplunk == expected[object: "totals"]?[int: "records"])
        let regex = try CLI.run(["summarize", corpus, "--where", "kind~^(splunk|snowflake)$", "--format", "json"]).json()
        #expect(regex[object: "totals"]?[int: "records"] == (byKind["splunk"] ?? 0) + (byKind["snowflake"] ?? 0))
    }

    @Test func csvRoundTripsThroughPythonsCSVModule() throws {
        let message = "line one, with a comma\nline \"two\"\r\n=cmd|' /C calc'!A0"
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        let input = [
            #"{"rawData":"eyJhIjoxfQ==","errorCode":"Lambda.X","errorMessage":"\#(escaped)","attemptsMade":2}"#,
            #"{"rawData":"dGV4dA==","errorCode":"@SUM(A1)","errorMessage":"  +1 plain"}"#,
        ].joined(separator: "\n") + "\n"
        let csv = try CLI.run(["records", "--format", "csv", "--fields", "errorCode,errorMessage,attempts,payload"], stdin: Data(input.utf8))
        #expect(csv.status == 0)
        let script = """
        import csv, io, json, sys
        rows = list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))
        print(json.dumps(rows))
        """
        let parsed = try Harness.run("/usr/bin/env", ["python3", "-c", script], input: Array(csv.stdout.utf8))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(parsed)) as? [[String]])
        #expect(rows.count == 3)
        #expect(rows[0] == ["errorCode", "errorMessage", "attempts", "payload"])
        // The multi-line message survives byte for byte but for its CR, shown as `\r` so that it cannot
        // overwrite the line on a terminal; the one that starts like a formula after spaces gets a leading
        // quote, as does the formula-looking error code.
        #expect(rows[1] == ["Lambda.X", "line one, with a comma\nline \"two\"\\r\n=cmd|' /C calc'!A0", "2", #"{"a":1}"#])
        #expect(rows[2] == ["'@SUM(A1)", "'  +1 plain", "(none)", "text"])
    }

    @Test func mergeOfTwoHalvesEqualsTheWhole() throws {
        let (dir, _) = try CLI.generateCorpus(records: 3000, seed: 9)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = Self.files(under: dir.appendingPathComponent("corpus"))
        let half = files.count / 2
        for by in ["kind,errorCode", "hour", "message"] {
            let whole = try CLI.run(["summarize", "--format", "json", "--by", by] + files)
            let a = try CLI.run(["summarize", "--format", "json", "--by", by] + Array(files[..<half]))
            let b = try CLI.run(["summarize", "--format", "json", "--by", by] + Array(files[half...]))
            let aURL = dir.appendingPathComponent("a.json"), bURL = dir.appendingPathComponent("b.json")
            try Data(a.stdout.utf8).write(to: aURL)
            try Data(b.stdout.utf8).write(to: bURL)
            let merged = try CLI.run(["merge", aURL.path, bURL.path])
            #expect(merged.status == 0, "\(merged.stderr)")
            let m = try merged.json(), w = try whole.json()
            #expect(NSDictionary(dictionary: m[object: "totals"]!).isEqual(to: w[object: "totals"]!), "totals by \(by)")
            let mg = try #require(m[array: "groups"]), wg = try #require(w[array: "groups"])
            #expect(mg.count == wg.count)
            for (x, y) in zip(mg, wg) { #expect(NSDictionary(dictionary: x).isEqual(to: y), "group \(x) vs \(y)") }
            #expect((m[array: "malformedSamples"] ?? []).count == (w[array: "malformedSamples"] ?? []).count)
            // The merged text is byte-identical to the whole run's.
            #expect(merged.stdout == whole.stdout)
        }
    }

    @Test func mergeRefusesDifferentGroupingAndForeignFiles() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let byKind = dir.appendingPathComponent("k.json"), byCode = dir.appendingPathComponent("c.json")
        try Data(try CLI.run(["summarize", "samples/firehose", "--format", "json", "--by", "kind"]).stdout.utf8).write(to: byKind)
        try Data(try CLI.run(["summarize", "samples/firehose", "--format", "json", "--by", "errorCode"]).stdout.utf8).write(to: byCode)
        let mixed = try CLI.run(["merge", byKind.path, byCode.path])
        #expect(mixed.status == 64)
        #expect(mixed.stderr.contains("summaries merge only with the same --by"))
        let foreign = dir.appendingPathComponent("f.json")
        try Data(#"{"schema":"something.else/2","groupBy":[],"totals":{"files":0,"bytesRead":0,"records":0,"malformed":0,"payloadBytes":0,"undecodable":0,"logEvents":0},"groups":[]}"#.utf8).write(to: foreign)
        let wrongSchema = try CLI.run(["merge", byKind.path, foreign.path])
        #expect(wrongSchema.status == 64)
        #expect(wrongSchema.stderr.contains("schema 'something.else/2'"))
        let notJSON = try CLI.run(["merge", "README.md"])
        #expect(notJSON.status == 64)
        #expect(notJSON.stderr.contains("not a deadletter JSON summary"))
    }

    @Test func mergeSaysWhenTopMadeItInexactAndAppliesTopAfterMerging() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let topped = dir.appendingPathComponent("t.json"), full = dir.appendingPathComponent("f.json")
        try Data(try CLI.run(["summarize", "samples/firehose/bucket", "--format", "json", "--by", "kind", "--top", "2"]).stdout.utf8).write(to: topped)
        try Data(try CLI.run(["summarize", "samples/firehose/mixed", "--format", "json", "--by", "kind"]).stdout.utf8).write(to: full)
        let merged = try CLI.run(["merge", topped.path, full.path])
        #expect(merged.status == 0)
        #expect(merged.stderr.contains("was made with --top"))
        #expect(try merged.json()["exactlyMergeable"] as? Bool == false)
        let exact = try CLI.run(["merge", full.path, full.path, "--top", "1"]).json()
        #expect(exact[array: "groups"]?.count == 1)
        #expect(exact["top"] as? Int == 1)
        #expect(exact[object: "totals"]?[int: "records"] == 8)
    }

    @Test func closedPipeEndsQuietlyWithStatus0() throws {
        let (dir, _) = try CLI.generateCorpus(records: 3000, seed: 2)
        defer { try? FileManager.default.removeItem(at: dir) }
        let command = "set -o pipefail; '\(CLI.binary.path)' records '\(dir.path)/corpus' | head -n 2 > /dev/null"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = CLI.awaitExit(process) { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        #expect(process.terminationStatus == 0)
        #expect(!stderr.contains("Broken pipe"))
        #expect(!stderr.contains("cannot write"))
    }

    /// The reviewer's `records big.json - < fifo | head -1`: a reading thread is blocked on a stream whose
    /// writer never closes it, and the closed output must still end the run at once.
    @Test(arguments: [false, true])
    func closedPipeEndsTheRunWhileAnotherInputIsAStreamStillOpen(onStdin: Bool) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Far more output than the pipe and the output buffer hold, so the run meets the closed pipe while
        // it is still on this first input.
        let big = dir.appendingPathComponent("big.json")
        let line = #"{"attemptsMade":1,"arrivalTimestamp":1709650000000,"errorCode":"Lambda.FunctionError","errorMessage":"boom","rawData":"eyJrIjoxfQ=="}"#
        try Data(String(repeating: line + "\n", count: 20_000).utf8).write(to: big)
        let fifo = dir.appendingPathComponent("stream")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        // Held open for writing by the test (read-write, so opening does not wait for a reader) and never
        // written: the stream ends only when the test is done.
        let writer = open(fifo.path, O_RDWR)
        #expect(writer >= 0)
        defer { close(writer) }
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["records", "--quiet", big.path, onStdin ? "-" : fifo.path]
        if onStdin { process.standardInput = FileHandle(fileDescriptor: writer, closeOnDealloc: false) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The reader is gone before the first write: the run's first write meets a closed pipe.
        try out.fileHandleForReading.close()
        CLI.awaitExit(process, limit: 10)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func summarizeByMessageThenListThoseRecords() throws {
        let summary = try CLI.run(["summarize", "samples/firehose", "--by", "message", "--where", "kind=opensearch", "--format", "json"]).json()
        let top = try #require(summary[array: "groups"]?.first)
        let message = try #require(top[object: "key"]?["message"] as? String)
        let records = try CLI.run(["records", "samples/firehose", "--where", "message=\(message)", "--fields", "documentId"])
        #expect(records.stdout.split(separator: "\n").count == top[int: "count"])
    }
}
