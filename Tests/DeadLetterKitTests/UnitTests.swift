@testable import DeadLetterRecords
@testable import DeadLetterBytes
import Foundation
import Testing

@Suite struct Base64Tests {
    func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        let ok = bytes.withUnsafeBufferPointer { Base64.decode($0, into: &out) }
        return ok ? out : nil
    }

    // RFC 4648 §10 test vectors.
    @Test(arguments: [("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"), ("Zm9vYmE=", "fooba"), ("Zm9vYmFy", "foobar")])
    func rfc4648Vectors(encoded: String, plain: String) {
        #expect(decode(encoded) == Array(plain.utf8))
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
    }

    @Test func missingPaddingIsAccepted() {
        #expect(decode("Zg") == Array("f".utf8))
        #expect(decode("Zm8") == Array("fo".utf8))
    }

    @Test(arguments: ["Z", "Zm9v!", "eyJvcmRlcklkIjoibyE!!fQ==", "Zg=a", "Z===", "Zm 9v", "Zm9v\n"])
    func invalidInputIsRejected(text: String) {
        #expect(decode(text) == nil)
    }

    @Test func aCharacterOutsideTheAlphabetIsFoundInEveryPosition() {
        let valid = Data((0..<30).map { UInt8($0 * 7) }).base64EncodedString()   // 40 characters, no padding
        #expect(decode(valid) != nil)
        for position in 0..<valid.utf8.count {
            for bad in ["!", "-", "_", "\u{7F}", "\u{80}"] {
                var chars = Array(valid)
                chars[position] = Character(bad)
                #expect(decode(String(chars)) == nil, "\(bad) at \(position)")
            }
        }
    }

    @Test func agreesWithFoundationOnRandomData() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Data(bytes).base64EncodedString()
            #expect(decode(encoded) == bytes)
            #expect(Base64.encode(bytes) == encoded)
        }
    }
}

@Suite struct TimeTests {
    // Expected strings computed with Python: datetime(1970,1,1) + timedelta(milliseconds=ms).
    @Test(arguments: [
        (Int64(13626284715507), "2401-10-19T15:05:15.507Z"),
        (1506035354675, "2017-09-21T23:09:14.675Z"),
        (1741088912364, "2025-03-04T11:48:32.364Z"),
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (951782400000, "2000-02-29T00:00:00.000Z"),
    ])
    func rfc3339(ms: Int64, text: String) {
        #expect(UTCTime.rfc3339(ms) == text)
        #expect(UTCTime.parseRFC3339(text) == ms)
    }

    @Test func hourAndDayKeys() {
        #expect(UTCTime.hour(1709647200000) == "2024-03-05T14")
        #expect(UTCTime.day(1709647200000) == "2024-03-05")
    }

    @Test func extremeValuesDoNotCrash() {
        _ = UTCTime.rfc3339(Int64.max)
        _ = UTCTime.rfc3339(Int64.min)
        _ = UTCTime.hour(Int64.min + 1)
    }
}

@Suite struct ObjectKeyTests {
    @Test func realKeysFromFormatsDoc() {
        let a = ObjectKey("ho-it-sec-test/retries/processing-failed/2025/03/04/11/ho-it-sec-test-fh-cw2splunk-9-2025-03-04-11-48-32-c7cc019b-af51-412d-b641-b3b44ceb3d87")
        #expect(a.stream == "ho-it-sec-test-fh-cw2splunk")
        #expect(a.version == 9)
        #expect(a.timestampMillis == UTCTime.millis(year: 2025, month: 3, day: 4, hour: 11, minute: 48, second: 32))
        #expect(a.prefix == "ho-it-sec-test/retries/processing-failed/")

        let b = ObjectKey("prefix/objects/2021/11/16/00/object-2-2021-11-16-00-00-08-959487e4-754a-46e0-9b2d-f8cf1ce8a226.gz")
        #expect(b.stream == "object")
        #expect(b.version == 2)
        #expect(b.prefix == "prefix/objects/")

        let c = ObjectKey("errors/manifests/2019/09/26/13/collect-redshift-2019-09-26-13-21-49-56371982-2375-4b28-8d79-45f01952667e")
        #expect(c.stream == "collect-redshift")
        #expect(c.version == nil)
        #expect(c.prefix == "errors/manifests/")
    }

    @Test func prefixGluedToTheDateByLiteralConcatenation() {
        let key = ObjectKey("legacy2026/07/13/14/s-1-2026-07-13-14-00-00-c7cc019b-af51-412d-b641-b3b44ceb3d87")
        #expect(key.prefix == "legacy")
    }

    @Test func theDateFoldersGiveTheHour() {
        // 2019-09-26T13:00:00Z = 18165 days * 86400000 + 13 * 3600000 = 1569502800000.
        let manifest = ObjectKey("errors/manifests/2019/09/26/13/collect-redshift-manifest")
        #expect(manifest.folderHourMillis == 1_569_502_800_000)
        #expect(manifest.timestampMillis == nil)
        #expect(manifest.prefix == "errors/manifests/")
        // Glued to the prefix: 2026-07-13T14:00:00Z.
        #expect(ObjectKey("legacy2026/07/13/14/x").folderHourMillis == 1_783_951_200_000)
        // A day and no hour folder, an hour 24, a day February lacks: no hour.
        #expect(ObjectKey("ses-logs/errors/manifests/2020/03/05/collect-redshift-manifest").folderHourMillis == nil)
        #expect(ObjectKey("errors/manifests/2019/09/26/24/m").folderHourMillis == nil)
        #expect(ObjectKey("errors/manifests/2023/02/29/10/m").folderHourMillis == nil)
        #expect(ObjectKey("some/dir/dump.json").folderHourMillis == nil)
    }

    @Test func aRedshiftManifestWhoseNameHasNoTimeArrivesAtTheStartOfItsFoldersHour() throws {
        // A manifest as Firehose writes it (the COPY manifest format), saved under a name without the time.
        let manifest = """
            {
              "entries": [
                {"url":"s3://my-bucket/2019/09/26/13/collect-redshift-1-2019-09-26-13-10-05-1f0c94c8-7f3e-4d6a-9e51-3b2d4c5a6f70","mandatory":true}
              ]
            }

            """
        let r = Harness.read(manifest, key: "errors/manifests/2019/09/26/13/collect-redshift-manifest")
        let record = try #require(r.records.first)
        #expect(record.kind == .redshiftManifest)
        #expect(record.arrival == 1_569_502_800_000)   // 2019-09-26T13:00:00Z
        // The name's time, when there is one, is finer and wins: 13:21:49.
        let named = Harness.read(manifest, key: "errors/manifests/2019/09/26/13/collect-redshift-2019-09-26-13-21-49-56371982-2375-4b28-8d79-45f01952667e")
        #expect(named.records.first?.arrival == 1_569_504_109_000)   // + (21 * 60 + 49) * 1000
        // No hour folder: no arrival, as before.
        #expect(Harness.read(manifest, key: "manifests/collect-redshift-manifest").records.first?.arrival == nil)
    }

    @Test func namesThatAreNotFirehoseNames() {
        let key = ObjectKey("some/dir/dump.json")
        #expect(key.stream == nil)
        #expect(key.timestampMillis == nil)
        #expect(key.prefix == "some/dir/")
    }
}

@Suite struct PayloadTypeTests {
    func type(of bytes: [UInt8]) -> PayloadType? {
        let decoder = PayloadDecoder()
        let encoded = Array(Base64.encode(bytes).utf8)
        return encoded.withUnsafeBufferPointer { decoder.decode(rawDataString: $0, escaped: false).type }
    }

    @Test func typing() {
        #expect(type(of: []) == .empty)
        #expect(type(of: Array(#"{"a":1}"#.utf8)) == .json)
        #expect(type(of: Array("[1,2]\n".utf8)) == .json)
        #expect(type(of: Array("{\"event\":1}\n{\"event\":2}\n".utf8)) == .json)   // HEC events
        #expect(type(of: Array(#"{"a":"#.utf8)) == .text)
        #expect(type(of: Array("café 42\n".utf8)) == .text)
        #expect(type(of: [0x00, 0xff, 0x10]) == .binary)
        #expect(type(of: [0xC3, 0x28]) == .binary)          // invalid UTF-8
        #expect(type(of: [0x1f, 0x8b, 0x08]) == .binary)    // gzip that does not inflate
    }
}

@Suite struct TableTextTests {
    @Test func displayWidthCountsWideCharactersTwice() {
        #expect(TerminalText.width("abc") == 3)
        #expect(TerminalText.width("日本語") == 6)
        #expect(TerminalText.width("e\u{301}") == 1)
        #expect(TerminalText.width("🔥") == 2)
    }

    @Test func truncationKeepsTheWidthAndAddsAnEllipsis() {
        #expect(TerminalText.truncate("Splunk.AckTimeout", to: 10) == "Splunk.Ac…")
        #expect(TerminalText.truncate("日本語テキスト", to: 7) == "日本語…")
        #expect(TerminalText.truncate("short", to: 10) == "short")
    }

    @Test func controlCharactersAreEscapedForTheTerminal() {
        #expect(TerminalText.escape("a\u{1B}[31mb") == "a\\x1B[31mb")
        #expect(TerminalText.escape("line\nnext") == "line\\nnext")
        #expect(TerminalText.escape("x\u{202E}y") == "x\\u{202E}y")
        #expect(TerminalText.escape("plain") == "plain")
    }

    @Test func csvCellsAreQuotedAndFormulasNeutralised() {
        #expect(CSVOutput.cell("a,b") == "\"a,b\"")
        #expect(CSVOutput.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVOutput.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVOutput.cell("  +1") == "'  +1")
        #expect(CSVOutput.cell("@sum") == "'@sum")
        #expect(CSVOutput.cell("-5", isNumber: true) == "-5")
        #expect(CSVOutput.cell("two\nlines") == "\"two\nlines\"")
    }

    @Test func groupedNumbers() {
        #expect(HumanNumber.grouped(1234567) == "1,234,567")
        #expect(HumanNumber.grouped(999) == "999")
        #expect(HumanNumber.bytes(1536) == "1.5 KiB")
    }
}
