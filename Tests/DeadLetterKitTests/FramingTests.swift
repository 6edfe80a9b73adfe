@testable import DeadLetterEngine
import Testing

/// Bytes → frames: every line is a record, a malformed unit or blank, whatever the read boundaries.
@Suite struct FramingTests {
    static let record = #"{"rawData":"YQ==","errorCode":"Lambda.X","arrivalTimestamp":1}"#
    /// Read sizes that put boundaries everywhere: inside keys, strings, numbers, CRLF pairs and the BOM.
    static let chunkSizes = [1, 2, 3, 7, 64, 1 << 20]

    @Test(arguments: chunkSizes)
    func ndjsonWithBlankLinesAndNoFinalNewline(chunk: Int) {
        let text = [Self.record, "", "   ", Self.record, Self.record].joined(separator: "\n")
        let r = Harness.read(text, chunk: chunk)
        #expect(r.records.count == 3)
        #expect(r.malformed.isEmpty)
        #expect(r.blankLines == 2)
        #expect(r.lines == 5)
        #expect(r.records.map(\.line) == [1, 4, 5])
    }

    @Test(arguments: chunkSizes)
    func backToBackObjectsWithoutNewlines(chunk: Int) {
        let text = String(repeating: Self.record, count: 4) + "\n" + Self.record + Self.record
        let r = Harness.read(text, chunk: chunk)
        #expect(r.records.count == 6)
        #expect(r.lines == 2)
        #expect(r.records.map(\.line) == [1, 1, 1, 1, 2, 2])
    }

    @Test(arguments: chunkSizes)
    func bomAndCRLF(chunk: Int) {
        let text = "\u{FEFF}" + Self.record + "\r\n\r\n" + Self.record + "\r\n"
        let r = Harness.read(text, chunk: chunk)
        #expect(r.records.count == 2)
        #expect(r.malformed.isEmpty)
        #expect(r.blankLines == 1)
        #expect(r.lines == 3)
    }

    @Test(arguments: chunkSizes)
    func prettyPrintedJSONArrayOfRecords(chunk: Int) {
        let text = "[\n  \(Self.record),\n  \(Self.record)\n]\n"
        let r = Harness.read(text, chunk: chunk)
        #expect(r.records.count == 2)
        #expect(r.malformed.isEmpty)
        #expect(r.records.map(\.line) == [2, 3])
        #expect(r.lines == 4)
    }

    @Test func compactJSONArrayWithAStrayScalar() {
        let r = Harness.read("[\(Self.record),42,\(Self.record)]")
        #expect(r.records.count == 2)
        #expect(r.malformed.map(\.reason) == ["array element is not a JSON object"])
    }

    @Test(arguments: chunkSizes)
    func truncatedLineIsMalformedAndTheNextLineStillCounts(chunk: Int) {
        // A record cut inside a string, and one cut between members: both followed by good records.
        let cutInString = #"{"rawData":"YQ==","errorMessage":"cut he"#
        let cutBetweenMembers = #"{"rawData":"YQ==","attemptsMade":1,"#
        let text = [cutInString, Self.record, cutBetweenMembers, Self.record].joined(separator: "\n") + "\n"
        let r = Harness.read(text, chunk: chunk)
        #expect(r.records.count == 2)
        #expect(r.records.map(\.line) == [2, 4])
        #expect(r.malformed.map(\.line) == [1, 3])
        #expect(r.malformed[0].reason.contains("unterminated string"))
        #expect(r.lines == 4)
        #expect(r.records.count + r.malformed.count + r.blankLines == r.lines)
    }

    // MARK: broken pretty-printed objects

    /// The schema the Firehose guide prints for format-conversion failures ("Handling errors for data format
    /// conversion"): pretty-printed, with type names where the values go, so not JSON. Eighteen lines.
    static let formatConversionSchema = """
        {
          "attemptsMade": long,
          "arrivalTimestamp": long,
          "lastErrorCode": string,
          "lastErrorMessage": string,
          "attemptEndingTimestamp": long,
          "rawData": string,
          "sequenceNumber": string,
          "subSequenceNumber": long,
          "dataCatalogTable": {
            "catalogId": string,
            "databaseName": string,
            "tableName": string,
            "region": string,
            "versionId": string,
            "catalogArn": string
          }
        }
        """

    @Test(arguments: chunkSizes)
    func aBrokenPrettyPrintedObjectIsOneMalformedUnitAtItsFirstLine(chunk: Int) {
        // Lines 1-18: the schema (one unit; the scan fails at `long` on line 2). Line 19: a record.
        let r = Harness.read(Self.formatConversionSchema + "\n" + Self.record + "\n", chunk: chunk)
        #expect(r.malformed.map(\.line) == [1])
        #expect(r.malformed.map(\.reason) == ["unexpected character 'l' at line 2"])
        #expect(r.records.map(\.line) == [19])
        // 19 lines: 18 in the broken object (one unit, none blank, as a valid pretty-printed record's lines),
        // one record.
        #expect((r.lines, r.blankLines, r.records.count, r.malformed.count) == (19, 0, 1, 1))
    }

    @Test(arguments: chunkSizes)
    func aBrokenElementOfAPrettyPrintedArrayIsOneUnitAndTheNextElementIsRead(chunk: Int) {
        // A hand-edited array (as `python -m json.tool` or `jq .` print it) with a trailing comma in its first
        // element: lines 2-5 are one unit, lines 6-9 a record, lines 1 and 10 hold only brackets (blank).
        let text = """
            [
              {
                "rawData": "eyJ0aWNrZXJfc3ltYm9sIjoiUUxaIn0=",
                "errorCode": "Lambda.FunctionError",
              },
              {
                "rawData": "eyJ0aWNrZXJfc3ltYm9sIjoiUUxaIn0=",
                "errorCode": "Lambda.FunctionError"
              }
            ]

            """
        let r = Harness.read(text, chunk: chunk)
        #expect(r.malformed.map(\.line) == [2])
        #expect(r.malformed.map(\.reason) == ["expected a quoted member name at line 5"])
        #expect(r.records.map(\.line) == [6])
        #expect((r.lines, r.blankLines, r.records.count, r.malformed.count) == (10, 2, 1, 1))
    }

    @Test(arguments: chunkSizes)
    func aPrettyPrintedObjectCutShortRunsToItsLastLineAndBlankLinesAfterStayBlank(chunk: Int) {
        // Line 1: a record. Lines 2-4: an object cut short (a copy stopped mid-file). Line 5: blank.
        let text = Self.record + "\n{\n  \"rawData\": \"YQ==\",\n  \"errorCode\": \"X\",\n\n"
        let r = Harness.read(text, chunk: chunk)
        #expect(r.malformed.map(\.line) == [2])
        #expect(r.malformed.map(\.reason) == ["unexpected end of input inside a JSON value"])
        #expect((r.lines, r.blankLines, r.records.count, r.malformed.count) == (5, 1, 1, 1))
        // Without a final newline the last line counts all the same.
        let noNewline = Harness.read("{\n  \"rawData\": \"YQ==\",\n  \"errorCode\": \"X", chunk: chunk)
        #expect(noNewline.lines == 3)
        #expect(noNewline.blankLines == 0)
        #expect(noNewline.malformed.map(\.line) == [1])
    }

    @Test(arguments: chunkSizes)
    func aLineBreakInsideAStringAndAHandMadeListStayOneUnit(chunk: Int) {
        // Lines 1-6: an object whose error message was pasted with a real line break (line 4 starts at the
        // left edge, inside the string), closed `},` as in a hand-made list; line 7: a record.
        let text = "{\n  \"rawData\": \"YQ==\",\n  \"errorMessage\": \"Task timed out\nafter 3.00 seconds\",\n  \"errorCode\": \"X\"\n},\n" + Self.record + "\n"
        let r = Harness.read(text, chunk: chunk)
        #expect(r.malformed.map(\.line) == [1])
        #expect(r.malformed.map(\.reason) == ["unterminated string (line ends inside a string) at line 3"])
        #expect(r.malformed.map(\.trailing) == [false])
        #expect(r.records.map(\.line) == [7])
        #expect((r.lines, r.blankLines) == (7, 0))
    }

    @Test(arguments: chunkSizes)
    func whereTheLinesDoNotShowTheEndEachLineIsFramedAgain(chunk: Int) {
        // Line 1 opens an object, line 2 is a member, line 3 is a record at the brace's own indentation before
        // any closing brace: the object's end is unknown, so the unit ends with line 1 (as before) and no
        // record is hidden.
        let text = "{\n  \"rawData\": \"YQ==\",\n" + Self.record + "\n}\n"
        let r = Harness.read(text, chunk: chunk)
        #expect(r.malformed.map(\.line) == [1, 2, 4])
        #expect(r.malformed.first?.reason == "expected a quoted member name")
        #expect(r.records.map(\.line) == [3])
        #expect(r.records.count + r.malformed.count + r.blankLines == r.lines)
        // A compact record cut short is one line, as before, whatever follows.
        let cut = Harness.read(#"{"rawData":"YQ==","errorCode":"# + "\n  \"x\": 1\n}\n" + Self.record + "\n", chunk: chunk)
        #expect(cut.malformed.map(\.line) == [1, 2, 3])
        #expect(cut.records.map(\.line) == [4])
    }

    @Test func aBrokenObjectWhoseEndIsBeyondTheSizeLimitIsFramedLineByLine() {
        var options = ReadOptions()
        options.maxRecordBytes = 64
        let text = "{\n  \"rawData\": x,\n  \"errorMessage\": \"" + String(repeating: "m", count: 100) + "\"\n}\n"
        let r = Harness.read(text, chunk: 16, options: options)
        #expect(r.malformed.map(\.line) == [1, 2, 3, 4])
        #expect(r.lines == 4)
    }

    @Test func everyKindOfJunkIsOneMalformedLine() {
        let lines = ["this is not json", "[1,2,3]", "42", "\"text\"", "{\"hello\":\"world\"}", "{}", "}{", "\u{1B}[31mred", Self.record]
        let r = Harness.read(lines.joined(separator: "\n") + "\n")
        #expect(r.records.count == 1)
        #expect(r.malformed.count == 8)
        #expect(r.malformed.map(\.line) == Array(1...8))
        #expect(r.lines == 9)
    }

    @Test func binaryJunkWithoutNewlinesIsOneMalformedLine() {
        var bytes: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }.map { $0 == 0x0A ? 0x00 : $0 }
        bytes[0] = 0x00
        bytes += Array(("\n" + Self.record + "\n").utf8)
        let r = Harness.read(bytes, chunk: 4096)
        #expect(r.malformed.count == 1)
        #expect(r.records.count == 1)
        #expect(r.lines == 2)
    }

    @Test func recordOverTheSizeLimitIsReportedAndSkipped() {
        var options = ReadOptions()
        options.maxRecordBytes = 1000
        let huge = #"{"rawData":""# + String(repeating: "QUFB", count: 2000) + #"","errorCode":"X"}"#
        let r = Harness.read([huge, Self.record].joined(separator: "\n"), chunk: 256, options: options)
        #expect(r.records.count == 1)
        #expect(r.malformed.count == 1)
        #expect(r.malformed.first?.reason.contains("--max-record-bytes") == true)
        #expect(r.lines == 2)
    }

    @Test func largeRecordUnderTheLimitReadsAcrossManySmallReads() throws {
        let payload = String(repeating: "QUFB", count: 500_000)   // 2 MB of base64, 1.5 MB decoded
        let line = #"{"rawData":"\#(payload)","errorCode":"X"}"#
        let r = Harness.read(line + "\n" + Self.record + "\n", chunk: 65536)
        #expect(r.records.count == 2)
        #expect(r.records.first?.payload.decodedBytes == 1_500_000)
    }

    @Test func deeplyNestedValueDoesNotOverflowTheStack() {
        let depth = 200_000
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let r = Harness.read(#"{"rawData":"YQ==","x":"# + nested + "}\n" + Self.record + "\n")
        // Deeper than the scanner allows: reported, and the next line still reads.
        #expect(r.malformed.count == 1)
        #expect(r.malformed.first?.reason.contains("nested deeper") == true)
        #expect(r.records.count == 1)
    }

    @Test func emptyInputHasNoLines() {
        let r = Harness.read("")
        #expect(r.lines == 0)
        #expect(r.records.isEmpty)
        #expect(r.malformed.isEmpty)
        #expect(r.error == nil)
    }

    @Test func escapedKeysAndValuesAreUnescaped() throws {
        let line = #"{"raw\u0044ata":"Y\/Q=","errorCode":"Lambda.\u00e9\"q\"","errorMessage":"a\nb"}"#
        let r = try #require(Harness.read(line).records.first)
        #expect(r.errorCode == "Lambda.é\"q\"")
        #expect(r.errorMessage == "a\nb")
        // "Y/Q=" decodes to 2 bytes.
        #expect(r.payload.decodedBytes == 2)
    }
}
