@testable import DeadLetterBytes
@testable import DeadLetterQuery
@testable import DeadLetterEngine
@testable import DeadLetterRecords
@testable import DeadLetterSupport
import Foundation
import Testing

/// Issue 13, points 5–7: numbers and times from records, summaries and flags never crash a run. Expected
/// values are worked out by hand or with Python's datetime (noted at each); every time the tool reads must
/// lie in 0000-01-01T00:00:00Z ... 9999-12-31T23:59:59.999Z, what RFC 3339 carries.
@Suite struct CalendarTests {
    // Python: (date(y, m, d) - date(1970, 1, 1)).days; the year 0 (a leap year) is 366 days before 0001-01-01.
    @Test(arguments: [
        (1970, 1, 1, Int64(0)), (2024, 3, 5, 19787), (2000, 2, 29, 11016), (1969, 12, 31, -1), (1900, 3, 1, -25508),
        (1, 1, 1, -719_162), (0, 1, 1, -719_528), (9999, 12, 31, 2_932_896), (2401, 10, 19, 157_711),
    ])
    func daysFromCivil(year: Int, month: Int, day: Int, expected: Int64) {
        #expect(UTCTime.days(year: year, month: month, day: day) == expected)
    }

    @Test func impossibleDatesHaveNoDays() {
        for (y, m, d) in [(2024, 2, 30), (2023, 2, 29), (1900, 2, 29), (2024, 4, 31), (2024, 13, 1), (2024, 0, 1), (2024, 1, 0), (2024, 1, 32)] {
            #expect(UTCTime.days(year: y, month: m, day: d) == nil, "\(y)-\(m)-\(d)")
        }
        #expect(UTCTime.days(year: 2000, month: 2, day: 29) != nil)
        #expect(UTCTime.daysIn(month: 2, year: 2000) == 29)
        #expect(UTCTime.daysIn(month: 2, year: 2100) == 28)
        // Far years are refused, not overflowed.
        #expect(UTCTime.days(year: Int.max, month: 1, day: 1) == nil)
        #expect(UTCTime.days(year: Int.min, month: 1, day: 1) == nil)
    }

    @Test func millisCoverExactlyTheSupportedRange() {
        // Python: (datetime(2024,3,5,14,0,1,123000,tzinfo=timezone.utc) - epoch) // timedelta(milliseconds=1).
        #expect(UTCTime.millis(year: 2024, month: 3, day: 5, hour: 14, minute: 0, second: 1, millisecond: 123) == 1_709_647_201_123)
        #expect(UTCTime.millis(year: 0, month: 1, day: 1) == -62_167_219_200_000)
        #expect(UTCTime.millis(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, millisecond: 999) == 253_402_300_799_999)
        #expect(UTCTime.supported == -62_167_219_200_000...253_402_300_799_999)
        #expect(UTCTime.millis(year: 10000, month: 1, day: 1) == nil)
        #expect(UTCTime.millis(year: -1, month: 12, day: 31) == nil)
        #expect(UTCTime.millis(year: 999_999_999, month: 12, day: 31) == nil)
        #expect(UTCTime.millis(year: 2024, month: 3, day: 5, hour: 24) == nil)
        #expect(UTCTime.millis(year: 2024, month: 2, day: 30) == nil)
        // A leap second at the very end of the range would be the year 10000.
        #expect(UTCTime.millis(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 60) == nil)
    }

    @Test func theEdgesOfTheRangeRoundTrip() {
        #expect(UTCTime.rfc3339(UTCTime.earliest) == "0000-01-01T00:00:00.000Z")
        #expect(UTCTime.rfc3339(UTCTime.latest) == "9999-12-31T23:59:59.999Z")
        for ms in [UTCTime.earliest, UTCTime.earliest + 1, -1, 0, 1_709_647_201_123, UTCTime.latest - 1, UTCTime.latest] {
            #expect(UTCTime.parseRFC3339(UTCTime.rfc3339(ms)) == ms)
        }
        #expect(UTCTime.parseRFC3339(UTCTime.rfc3339(UTCTime.latest + 1)) == nil)
        #expect(UTCTime.parseRFC3339(UTCTime.rfc3339(UTCTime.earliest - 1)) == nil)
        // Formatting stays total.
        #expect(UTCTime.rfc3339(Int64.max) == "292278994-08-17T07:12:55.807Z")
        #expect(UTCTime.rfc3339(Int64.min) == "-292275055-05-16T16:47:04.192Z")
    }
}

@Suite struct RFC3339ProblemTests {
    @Test(arguments: [
        ("2024-02-30", TimeProblem.noSuchDay(year: 2024, month: 2, day: 30), "no such day (February 2024 has 29 days)"),
        ("2023-02-29T00:00:00Z", .noSuchDay(year: 2023, month: 2, day: 29), "no such day (February 2023 has 28 days)"),
        ("2024-04-31", .noSuchDay(year: 2024, month: 4, day: 31), "no such day (April 2024 has 30 days)"),
        ("2024-13-01", .noSuchMonth(13), "no such month (months run from 01 to 12)"),
        ("2024-03-05T24:00:00Z", .noSuchTimeOfDay(hour: 24, minute: 0, second: 0), "no such time of day (hours run to 23, minutes to 59, seconds to 60)"),
        ("2024-03-05T00:00:00+99:99", .noSuchOffset, "no such offset (offsets run from -23:59 to +23:59)"),
        ("2024-03-05T00:00:00-24:00", .noSuchOffset, "no such offset (offsets run from -23:59 to +23:59)"),
        ("2024-03-05T00:00:00+23:60", .noSuchOffset, "no such offset (offsets run from -23:59 to +23:59)"),
        ("999999999-12-31T23:59:59Z", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("-999999999-01-01", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("-292275055-05-16T16:47:04.193Z", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("0000-01-01T00:30:00+01:00", .outOfRange, "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
        ("2024-03-05T14:00", .notATime, "not an RFC 3339 time"),
        ("1234567890-01-01", .notATime, "not an RFC 3339 time"),
    ])
    func problemsAreNamed(text: String, problem: TimeProblem, message: String) {
        #expect(throws: problem) { try UTCTime.parse(rfc3339: text) }
        #expect(problem.description == message)
        #expect(UTCTime.parseRFC3339(text) == nil)
    }

    @Test func offsetsUpToADayAreRead() throws {
        // 2024-03-05 00:00 local at +23:59 is 2024-03-04 00:01 UTC: 1709596800000 - 1439 * 60000.
        #expect(try UTCTime.parse(rfc3339: "2024-03-05T00:00:00+23:59") == 1_709_510_460_000)
        #expect(try UTCTime.parse(rfc3339: "2024-03-05T00:00:00-23:59") == 1_709_683_140_000)
        // A local time in the year 10000 whose offset brings it back to 9999-12-31T23:30Z (Python).
        #expect(try UTCTime.parse(rfc3339: "10000-01-01T00:30:00+01:00") == 253_402_299_000_000)
        #expect(try UTCTime.parse(rfc3339: "2024-02-29") == 1_709_164_800_000)
    }
}

@Suite struct FlagValueTests {
    let now: Int64 = 1_709_654_400_000

    func message(_ text: String, flag: String = "--since") -> String? {
        do {
            _ = try TimeArgument.parse(text, now: now, flag: flag)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func timeArgumentsSayWhatIsWrong() throws {
        #expect(message("2024-02-30") == "--since '2024-02-30': no such day (February 2024 has 29 days)")
        #expect(message("2024-03-05T00:00:00+99:99", flag: "--until") == "--until '2024-03-05T00:00:00+99:99': no such offset (offsets run from -23:59 to +23:59)")
        #expect(message("999999999-12-31") == "--since '999999999-12-31': outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)")
        #expect(message("-999999999-01-01")?.contains("outside the supported range") == true)
        #expect(message("9223372036854775807") == "--since '9223372036854775807': epoch milliseconds outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)")
        #expect(message("99999999999999999999999")?.contains("epoch milliseconds outside") == true)
        #expect(message("253402300800000")?.contains("epoch milliseconds outside") == true)
        for overflowing in ["106751991167d", "15250284452w", "9223372036854775807s", "99999999999999999999h", "800000d"] {
            #expect(message(overflowing) == "--since '\(overflowing)': goes back before 0000-01-01T00:00:00.000Z, the earliest supported time")
        }
        #expect(message("yesterday")?.hasPrefix("--since 'yesterday': not a time; use RFC 3339") == true)
        // Still read: the edges, and a duration back to within the range (2024-03-05T16:00Z minus 700000 days is 0107).
        #expect(try TimeArgument.parse("253402300799999", now: now) == 253_402_300_799_999)
        #expect(try TimeArgument.parse("700000d", now: now) == now - 700_000 * 86_400_000)
        #expect(try TimeArgument.parse("2024-02-29", now: now) == 1_709_164_800_000)
    }

    @Test func byteSizesAreCheckedAndCapped() throws {
        #expect(ByteSize.parse("9223372036854775807G") == nil)
        #expect(ByteSize.parse("9223372036854775807") == 9_223_372_036_854_775_807)
        #expect(try ByteSize.parse(flag: "--max-record-bytes", "1G", example: "16MiB") == 1 << 30)
        #expect(try ByteSize.parse(flag: "--max-record-bytes", "64KiB", example: "16MiB") == 65_536)
        func message(_ text: String) -> String? {
            do {
                _ = try ByteSize.parse(flag: "--max-payload-bytes", text, example: "64MiB")
                return nil
            } catch {
                return error.message
            }
        }
        let tooLarge = "more than the largest size taken, 1GiB (1073741824 bytes)"
        #expect(message("9223372036854775807") == "--max-payload-bytes '9223372036854775807': \(tooLarge)")
        #expect(message("9999999999G") == "--max-payload-bytes '9999999999G': \(tooLarge)")
        #expect(message("99999999999999999999999") == "--max-payload-bytes '99999999999999999999999': \(tooLarge)")
        #expect(message("1073741825") == "--max-payload-bytes '1073741825': \(tooLarge)")
        #expect(message("0") == "--max-payload-bytes '0': must be 1 byte or more")
        #expect(message("-5M")?.contains("not a size") == true)
        #expect(message("lots") == "--max-payload-bytes 'lots': not a size; use a number of bytes, or K, M, G (KiB, MiB, GiB) such as 64MiB")
    }
}

/// Out-of-range numbers in records, read in memory: each is one payload problem and the field is missing.
@Suite struct OutOfRangeRecordTests {
    @Test func firehoseFieldsOutOfRangeReadAsMissing() {
        let r = Harness.read([
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":9223372036854775807,"attemptsMade":2}"#,
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":-9223372036854775808,"approximateArrivalTimestamp":1709647200000}"#,
            #"{"rawData":"aGk=","errorCode":"X","attemptEndingTimestamp":"9223372036854775807","attemptsMade":9223372036854775807}"#,
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":1e400,"attemptsMade":-3}"#,
            #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":"soon","attemptsMade":null}"#,
        ].joined(separator: "\n") + "\n")
        #expect(r.records.count == 5)
        #expect(r.records.map(\.arrival) == [nil, 1_709_647_200_000, nil, nil, nil])
        #expect(r.records.map(\.attemptsMade) == [2, nil, nil, nil, nil])
        #expect(r.records.map(\.attemptEnding) == [nil, nil, nil, nil, nil])
        let range = "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z); read as missing"
        #expect(r.payloadProblems == [
            "arrivalTimestamp 9223372036854775807: \(range)",
            "arrivalTimestamp -9223372036854775808: \(range)",
            "attemptEndingTimestamp 9223372036854775807: \(range)",
            "attemptsMade 9223372036854775807: outside 0 to 2147483647; read as missing",
            "arrivalTimestamp 1e400: \(range)",
            "attemptsMade -3: outside 0 to 2147483647; read as missing",
            // Not a number at all: kept in otherFields (null is missing, without a word).
            #"arrivalTimestamp "soon": not a number; kept in otherFields"#,
        ])
        #expect(r.records[4].otherFields.map(\.key) == ["arrivalTimestamp"])
    }

    @Test func logEventTimestampsOutOfRangeAreOneProblemOfThePayload() throws {
        let events = [#"{"id":"1","timestamp":9223372036854775807,"message":"a"}"#, #"{"id":"2","timestamp":1432826855000,"message":"b"}"#,
                      #"{"id":"3","timestamp":-9223372036854775808,"message":"c"}"#]
        let json = #"{"owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"messageType":"DATA_MESSAGE","logEvents":["# + events.joined(separator: ",") + "]}"
        let rawData = Data(try Harness.gzip(Array(json.utf8))).base64EncodedString()
        var options = ReadOptions()
        options.payloadNeeds = PayloadNeeds(events: true)
        let r = Harness.read(#"{"rawData":"\#(rawData)","errorCode":"X"}"# + "\n", options: options)
        #expect(r.records.first?.payload.cloudWatch?.events?.map(\.timestamp) == [nil, 1_432_826_855_000, nil])
        #expect(r.payloadProblems == ["logEvents[0].timestamp 9223372036854775807 (and 1 more events): outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z); read as missing"])
    }
}

/// The built binary on hostile files, flags and summaries made here: never a crash (status 128 and up),
/// the right status, a warning naming file:line, and totals that add up.
@Suite(.serialized) struct NumericHardeningEndToEndTests {
    static let range = "outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z); read as missing"

    /// Seven records, ten values out of range; the only good times are 14:00:01.123 (line 1) and 14:00:00.000
    /// (line 7's SentTimestamp, its `time` being no day).
    static let hostile = [
        #"{"rawData":"aGk=","errorCode":"Good","arrivalTimestamp":1709647201123,"attemptsMade":2}"#,
        #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":9223372036854775807}"#,
        #"{"rawData":"aGk=","errorCode":"X","arrivalTimestamp":-9223372036854775808}"#,
        #"{"rawData":"aGk=","errorCode":"X","attemptEndingTimestamp":9223372036854775807,"attemptsMade":9223372036854775807}"#,
        #"{"rawData":"aGk=","errorCode":"X","attemptsMade":-3,"approximateArrivalTimestamp":1e400}"#,
        #"{"MessageId":"m1","Body":"{\"id\":\"e1\",\"source\":\"s\",\"detail-type\":\"d\",\"time\":\"999999999-12-31T23:59:59Z\",\"detail\":{}}","Attributes":{"SentTimestamp":"9223372036854775807"},"MessageAttributes":{"RETRY_ATTEMPTS":{"StringValue":"99999999999999999999","DataType":"Number"}}}"#,
        #"{"MessageId":"m2","Body":"{\"id\":\"e2\",\"source\":\"s\",\"detail-type\":\"d\",\"time\":\"2024-02-30T14:00:00Z\",\"detail\":{}}","Attributes":{"SentTimestamp":"1709647200000"},"MessageAttributes":{}}"#,
    ]

    static let expectedWarnings = [
        "hostile.json:2: arrivalTimestamp 9223372036854775807: \(range)",
        "hostile.json:3: arrivalTimestamp -9223372036854775808: \(range)",
        "hostile.json:4: attemptEndingTimestamp 9223372036854775807: \(range)",
        "hostile.json:4: attemptsMade 9223372036854775807: outside 0 to 2147483647; read as missing",
        "hostile.json:5: attemptsMade -3: outside 0 to 2147483647; read as missing",
        "hostile.json:5: approximateArrivalTimestamp 1e400: \(range)",
        "hostile.json:6: SentTimestamp 9223372036854775807: \(range)",
        "hostile.json:6: RETRY_ATTEMPTS 99999999999999999999: outside 0 to 2147483647; read as missing",
        "hostile.json:6: time '999999999-12-31T23:59:59Z': \(range)",
        "hostile.json:7: time '2024-02-30T14:00:00Z': no such day (February 2024 has 29 days); read as missing",
    ]

    func hostileFile() throws -> (dir: URL, file: String) {
        let dir = try CLI.temporaryDirectory()
        try Data((Self.hostile.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("hostile.json"))
        return (dir, "hostile.json")
    }

    func expectNoCrash(_ r: CLI.Result, _ what: String) {
        #expect(r.status < 128, "\(what) died: \(r.stderr.suffix(2000))")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("runtime failure"), "\(what): \(r.stderr.suffix(2000))")
    }

    @Test func hostileRecordNumbersAreCountedReportedAndReadAsMissing() throws {
        let (dir, file) = try hostileFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = try CLI.run(["summarize", file, "--format", "json"], cwd: dir)
        expectNoCrash(json, "summarize")
        #expect(json.status == 0)
        let warnings = json.stderr.split(separator: "\n").map { String($0.dropFirst("deadletter: warning: ".count)) }
        #expect(Array(warnings.prefix(Self.expectedWarnings.count)) == Self.expectedWarnings)
        let totals = try #require(try json.json()[object: "totals"])
        #expect(totals[int: "records"] == 7)
        #expect(totals[int: "lines"] == 7)
        #expect(totals[int: "malformed"] == 0)
        #expect(totals[int: "payloadProblems"] == 10)
        #expect(totals[int: "valuesOutOfRange"] == 10)
        #expect(totals["firstArrival"] as? String == "2024-03-05T14:00:00.000Z")
        #expect(totals["lastArrival"] as? String == "2024-03-05T14:00:01.123Z")

        let table = try CLI.run(["summarize", file, "--by", "hour,day,attempts", "--wide"], cwd: dir)
        expectNoCrash(table, "summarize --by hour,day,attempts")
        #expect(table.status == 0)
        #expect(table.stdout.contains("note: 10 numbers or times were out of range and read as missing (see warnings)"))
        #expect(!table.stdout.contains("gzip payloads"))

        let records = try CLI.run(["records", file, "-q"], cwd: dir)
        expectNoCrash(records, "records")
        let rows = try records.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.count == 7)
        #expect(rows.map { $0["arrival"] as? String } == ["2024-03-05T14:00:01.123Z", nil, nil, nil, nil, nil, "2024-03-05T14:00:00.000Z"])
        #expect(rows.map { $0["attemptsMade"] as? Int } == [2, nil, nil, nil, nil, nil, nil])

        for arguments in [["records", file, "--format", "csv"], ["summarize", file, "--format", "csv", "--by", "hour"],
                          ["summarize", file, "--since", "2024-03-05", "--until", "2024-03-06"],
                          ["backfill", file, "--target", "splunk-hec", "--dry-run"], ["backfill", file, "--target", "http-endpoint", "--dry-run"],
                          ["backfill", file, "--target", "eventbridge", "--dry-run"]] {
            let r = try CLI.run(arguments, cwd: dir)
            expectNoCrash(r, arguments.joined(separator: " "))
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
        }
    }

    @Test func logEventsWithTimestampsOutOfRangeExplodeWithoutThem() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let events = #"[{"id":"1","timestamp":9223372036854775807,"message":"a"},{"id":"2","timestamp":1432826855000,"message":"b"}]"#
        let json = #"{"owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"messageType":"DATA_MESSAGE","logEvents":"# + events + "}"
        let rawData = Data(try Harness.gzip(Array(json.utf8))).base64EncodedString()
        try Data((#"{"rawData":"\#(rawData)","errorCode":"X","arrivalTimestamp":1709647201123}"# + "\n").utf8).write(to: dir.appendingPathComponent("cwl.json"))
        let exploded = try CLI.run(["records", "cwl.json", "--explode", "--format", "csv"], cwd: dir)
        expectNoCrash(exploded, "records --explode")
        #expect(exploded.status == 0)
        #expect(exploded.stdout == "kind,errorCode,file,line,arrival,logGroup,logStream,logEventId,timestamp,message\r\n"
            + "unknown,X,cwl.json,1,2024-03-05T14:00:01.123Z,g,s,1,(none),a\r\n"
            + "unknown,X,cwl.json,1,2024-03-05T14:00:01.123Z,g,s,2,2015-05-28T15:27:35.000Z,b\r\n")
        #expect(exploded.stderr.contains("cwl.json:1: logEvents[0].timestamp 9223372036854775807: \(Self.range)"))
        let hec = try CLI.run(["backfill", "cwl.json", "--target", "splunk-hec", "--out", "hec", "-q"], cwd: dir)
        expectNoCrash(hec, "backfill --target splunk-hec")
        let body = try String(contentsOf: dir.appendingPathComponent("hec/splunk-hec-00001.json"), encoding: .utf8)
        #expect(body == #"{"source":"g","event":"a"}"# + "\n" + #"{"time":1432826855.000,"source":"g","event":"b"}"# + "\n")
    }

    @Test func mergeReadsWhatSummarizeWroteFromHostileInput() throws {
        let (dir, file) = try hostileFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try CLI.run(["summarize", file, "--format", "json", "-q"], cwd: dir)
        try Data(summary.stdout.utf8).write(to: dir.appendingPathComponent("a.json"))
        let merged = try CLI.run(["merge", "a.json", "a.json"], cwd: dir)
        expectNoCrash(merged, "merge")
        #expect(merged.status == 0, "\(merged.stderr)")
        let totals = try #require(try merged.json()[object: "totals"])
        #expect(totals[int: "records"] == 14)
        #expect(totals[int: "payloadProblems"] == 20)
        #expect(totals[int: "valuesOutOfRange"] == 20)
        let table = try CLI.run(["merge", "a.json", "a.json", "--format", "table", "--top", "1"], cwd: dir)
        #expect(table.stdout.contains("note: 20 numbers or times were out of range"))
    }

    /// A summary written by summarize (samples/firehose), with one field changed.
    func summary(replacing old: String, with new: String, in base: String) throws -> String {
        #expect(base.contains(old), "the sample summary no longer holds \(old)")
        return base.replacingOccurrences(of: old, with: new)
    }

    @Test func mergeRefusesSummariesWithBadNumbersNamingFileAndField() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try CLI.run(["summarize", "samples/firehose/bucket", "--format", "json", "-q", "--by", "kind"]).stdout
        try Data(base.utf8).write(to: dir.appendingPathComponent("a.json"))
        let records = #""records": 56,"#
        let cases: [(String, String, String)] = [
            (records, #""records": -3,"#, "b.json: totals.records: -3 is negative"),
            (#""firstArrival": "2017-09-21T23:09:14.675Z", "lastArrival": "2026-01-01T00:14:13.402Z", "lines""#,
             #""firstArrival": "-292275055-05-16T16:47:04.193Z", "lastArrival": "2026-01-01T00:14:13.402Z", "lines""#,
             "b.json: totals.firstArrival: '-292275055-05-16T16:47:04.193Z': outside the supported range (0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"),
            (#""lastArrival": "2026-01-01T00:14:13.402Z", "lines""#, #""lastArrival": "2024-02-30T00:00:00.000Z", "lines""#,
             "b.json: totals.lastArrival: '2024-02-30T00:00:00.000Z': no such day (February 2024 has 29 days)"),
            (#""lastArrival": "2026-01-01T00:14:13.402Z", "lines""#, #""lastArrival": "2000-01-01T00:00:00.000Z", "lines""#,
             "b.json: totals.firstArrival: '2017-09-21T23:09:14.675Z' is after lastArrival '2000-01-01T00:00:00.000Z'"),
            (records, #""records": 9223372036854775807,"#, "b.json: totals.records: 9223372036854775807 plus the 56 of the summaries before it is too large to count"),
            (#""count": 15,"#, #""count": 9223372036854775807,"#, "b.json: groups[0].count: the groups add up to more than totals.records (56)"),
            (#""payloadBytes": 2513,"#, #""payloadBytes": -1,"#, "b.json: groups[0].payloadBytes: -1 is negative"),
            (#""attempts": {"min": 1, "max": 4}"#, #""attempts": {"min": 4, "max": 1}"#, "b.json: groups[0].attempts: min 4 is more than max 1"),
            (#""attempts": {"min": 1, "max": 4}"#, #""attempts": {"min": 1, "max": 9223372036854775807}"#,
             "b.json: groups[0].attempts.max: 9223372036854775807: outside 0 to 2147483647"),
            (#""payloadProblems": 1,"#, #""payloadProblems": 1, "valuesOutOfRange": 2,"#, "b.json: totals.valuesOutOfRange: 2 is more than totals.payloadProblems (1)"),
            (#""payloadProblems": 1,"#, #""payloadProblems": 1, "valuesOutOfRange": 1, "valuesNotNumbers": 1,"#,
             "b.json: totals.valuesNotNumbers: 1 plus totals.valuesOutOfRange (1) is more than totals.payloadProblems (1)"),
            (#""payloadProblems": 1,"#, #""payloadProblems": 1, "valuesNotNumbers": -1,"#, "b.json: totals.valuesNotNumbers: -1 is negative"),
        ]
        for (old, new, message) in cases {
            let bad = try summary(replacing: old, with: new, in: base)
            try Data(bad.utf8).write(to: dir.appendingPathComponent("b.json"))
            let r = try CLI.run(["merge", "a.json", "b.json"], cwd: dir)
            expectNoCrash(r, "merge with \(new)")
            #expect(r.status == 64, "\(new): \(r.stderr)")
            #expect(r.stderr == "Error: \(message)\n" + UsageErrorTests.mergeUsage, "\(new)")
            #expect(r.stdout.isEmpty)
        }
        // Counts near Int64's limit that fit are fine on their own, and their sum is refused, not wrapped.
        let huge = try summary(replacing: records, with: #""records": 9223372036854775000,"#, in: base)
        try Data(huge.utf8).write(to: dir.appendingPathComponent("huge.json"))
        #expect(try CLI.run(["merge", "huge.json"], cwd: dir).status == 0)
        let twice = try CLI.run(["merge", "huge.json", "huge.json"], cwd: dir)
        expectNoCrash(twice, "merge huge twice")
        #expect(twice.status == 64)
        #expect(twice.stderr == "Error: huge.json: totals.records: 9223372036854775000 plus the 9223372036854775000 of the summaries before it is too large to count\n"
            + UsageErrorTests.mergeUsage)
    }

    @Test(arguments: [
        (["summarize", "samples/firehose", "--since", "999999999-12-31"], "--since '999999999-12-31': outside the supported range"),
        (["summarize", "samples/firehose", "--since=-999999999-01-01"], "--since '-999999999-01-01': outside the supported range"),
        (["summarize", "samples/firehose", "--since", "2024-02-30"], "--since '2024-02-30': no such day (February 2024 has 29 days)"),
        (["records", "samples/firehose", "--until", "2024-03-05T00:00:00+99:99"], "--until '2024-03-05T00:00:00+99:99': no such offset"),
        (["summarize", "samples/firehose", "--until", "9223372036854775807"], "--until '9223372036854775807': epoch milliseconds outside the supported range"),
        (["summarize", "samples/firehose", "--since", "106751991167d"], "--since '106751991167d': goes back before 0000-01-01T00:00:00.000Z"),
        (["summarize", "samples/firehose", "--max-payload-bytes", "9223372036854775807"], "--max-payload-bytes '9223372036854775807': more than the largest size taken, 1GiB"),
        (["records", "samples/firehose", "--max-record-bytes", "9223372036854775807"], "--max-record-bytes '9223372036854775807': more than the largest size taken, 1GiB"),
        (["summarize", "samples/firehose", "--max-record-bytes", "8G"], "--max-record-bytes '8G': more than the largest size taken, 1GiB"),
        (["summarize", "samples/firehose", "--max-record-bytes", "0"], "--max-record-bytes '0': must be 1 byte or more"),
        (["summarize", "samples/firehose", "--top", "9223372036854775807"], "--top '9223372036854775807': takes a number of groups from 1 to 1000000000"),
        (["merge", "samples/firehose", "--top", "1000000001"], "--top '1000000001': takes a number of groups from 1 to 1000000000"),
        (["backfill", "samples/firehose", "--target", "raw", "--dry-run", "--max-bytes", "9223372036854775807"], "--max-bytes '9223372036854775807': more than the largest size taken, 1GiB"),
        (["backfill", "samples/firehose", "--target", "raw", "--dry-run", "--max-records", "9223372036854775807"], "--max-records '9223372036854775807': takes a number of records from 1 to 1000000000"),
        (["agent", "samples/agent", "--restart-window", "9223372036854775807"], "--restart-window '9223372036854775807': takes seconds from 0 to 86400 (a day)"),
        (["agent", "samples/agent", "--restart-window=-5"], "--restart-window '-5': takes seconds from 0 to 86400 (a day)"),
    ])
    func badNumericAndTimeFlagsAreUsageErrors(arguments: [String], message: String) throws {
        let r = try CLI.run(arguments)
        expectNoCrash(r, arguments.joined(separator: " "))
        #expect(r.status == 64)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func flagsAtTheEdgesAreAccepted() throws {
        for arguments in [["summarize", "samples/firehose", "--since", "2024-02-29", "--until", "9999-12-31T23:59:59.999Z", "-q"],
                          ["summarize", "samples/firehose", "--since", "0000-01-01T00:00:00Z", "--max-record-bytes", "1GiB", "--max-payload-bytes", "1G", "-q"],
                          ["summarize", "samples/firehose", "--top", "1000000000", "--since", "253402300799999", "-q"],
                          ["agent", "samples/agent", "--restart-window", "86400"]] {
            let r = try CLI.run(arguments)
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
        }
    }
}

/// Documented placeholders where numbers go (the Firehose guide's failure-record templates): kept, counted,
/// reported, never dropped.
@Suite struct PlaceholderValueTests {
    /// "Handle failure in data transformation": the guide's record, as it prints it.
    static let guideRecord = """
        {
            "attemptsMade": "count",
            "arrivalTimestamp": "timestamp",
            "errorCode": "code",
            "errorMessage": "message",
            "attemptEndingTimestamp": "timestamp",
            "rawData": "data",
            "lambdaArn": "arn"
        }
        """
    /// A real processing-failed record (formats.md, alphaautomator/retry-firehose-errors).
    static let realRecord = #"{"rawData":"eyJldmVudERhdGEiOnsi","errorCode":"Lambda.ProcessingFailedStatus","errorMessage":"ProcessingFailed status set for record","attemptsMade":1,"arrivalTimestamp":1767226448282,"attemptEndingTimestamp":1767226451126,"lambdaARN":"arn:aws:lambda:us-east-1:036973774136:function:test-gravity-events-transform"}"#

    @Test func placeholdersInNumericFieldsAreKeptInOtherFieldsAndReported() throws {
        let r = Harness.read(Self.guideRecord + "\n", key: "processing-failed/2024/03/05/14/x")
        let record = try #require(r.records.first)
        #expect(r.records.count == 1)
        #expect(r.malformed.isEmpty)
        #expect(record.attemptsMade == nil)
        #expect(record.arrival == nil)
        #expect(record.attemptEnding == nil)
        #expect(record.errorCode == "code")
        #expect(record.lambdaArn == "arn")
        #expect(record.otherFields.map(\.key) == ["attemptsMade", "arrivalTimestamp", "attemptEndingTimestamp"])
        #expect(record.otherFields.map(\.json) == [#""count""#, #""timestamp""#, #""timestamp""#])
        #expect(record.valuesNotNumbers == 3)
        #expect(r.payloadProblems == [
            #"attemptsMade "count": not a number; kept in otherFields"#,
            #"arrivalTimestamp "timestamp": not a number; kept in otherFields"#,
            #"attemptEndingTimestamp "timestamp": not a number; kept in otherFields"#,
        ])
        // null is no value at all: missing, without a word, as before. An object is kept too.
        let other = Harness.read(#"{"rawData":"YQ==","errorCode":"X","attemptsMade":null,"arrivalTimestamp":{"epoch":1}}"# + "\n")
        #expect(other.records.first?.otherFields.map(\.key) == ["arrivalTimestamp"])
        #expect(other.records.first?.otherFields.map(\.json) == [#"{"epoch":1}"#])
        #expect(other.payloadProblems == [#"arrivalTimestamp {"epoch":1}: not a number; kept in otherFields"#])
    }

    @Test func summarizeCountsThemRecordsShowsThemAndMergeSumsThem() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("processing-failed/2026/01/01/00")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Lines 1-9: the guide's record (3 placeholders); line 10: a real record; line 11: attempts out of range.
        let outOfRange = #"{"rawData":"YQ==","errorCode":"Lambda.ProcessingFailedStatus","attemptsMade":-1}"#
        try Data((Self.guideRecord + "\n" + Self.realRecord + "\n" + outOfRange + "\n").utf8)
            .write(to: folder.appendingPathComponent("f.json"))

        let summary = try CLI.run(["summarize", ".", "--format", "json"], cwd: dir)
        #expect(summary.status == 0, "\(summary.stderr)")
        let totals = try #require(try summary.json()[object: "totals"])
        #expect(totals[int: "records"] == 3)
        #expect(totals[int: "lines"] == 11)
        #expect(totals[int: "payloadProblems"] == 4)
        #expect(totals[int: "valuesNotNumbers"] == 3)
        #expect(totals[int: "valuesOutOfRange"] == 1)
        #expect(summary.stderr.contains(#"f.json:1: attemptsMade "count": not a number; kept in otherFields"#), "\(summary.stderr)")
        #expect(summary.stderr.contains("f.json:11: attemptsMade -1: outside 0 to 2147483647; read as missing"))

        let table = try CLI.run(["summarize", ".", "-q"], cwd: dir)
        #expect(table.stdout.contains("note: 3 numeric fields held values that are not numbers, kept in otherFields (see warnings)\n"))
        #expect(table.stdout.contains("note: 1 numbers or times were out of range"))
        #expect(!table.stdout.contains("gzip payloads"))

        let rows = try CLI.run(["records", ".", "--fields", "line,attemptsMade,arrival,otherFields", "-q"], cwd: dir)
        #expect(rows.stdout.split(separator: "\n").first == #"{"line":1,"attemptsMade":null,"arrival":null,"otherFields":{"attemptsMade":"count","arrivalTimestamp":"timestamp","attemptEndingTimestamp":"timestamp"}}"#, "\(rows.stdout)")

        try Data(summary.stdout.utf8).write(to: dir.appendingPathComponent("a.json"))
        let merged = try CLI.run(["merge", "a.json", "a.json"], cwd: dir)
        #expect(merged.status == 0, "\(merged.stderr)")
        let sum = try #require(try merged.json()[object: "totals"])
        #expect((sum[int: "payloadProblems"], sum[int: "valuesNotNumbers"], sum[int: "valuesOutOfRange"]) == (8, 6, 2))

        // Sound input: no such key, as before.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("f.json"))
        try Data((Self.realRecord + "\n").utf8).write(to: folder.appendingPathComponent("g.json"))
        let sound = try CLI.run(["summarize", ".", "--format", "json"], cwd: dir)
        #expect(!sound.stdout.contains("valuesNotNumbers"))
    }
}
