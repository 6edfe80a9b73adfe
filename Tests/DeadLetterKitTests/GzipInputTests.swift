@testable import DeadLetterBytes
@testable import DeadLetterEngine
import Foundation
import Testing

/// gzip recognised by content, several members, and damage reported after the good records.
@Suite struct GzipInputTests {
    static func lines(_ count: Int, from start: Int = 0) -> String {
        (start..<(start + count)).map { #"{"rawData":"YQ==","errorCode":"Lambda.X","attemptsMade":\#($0)}"# + "\n" }.joined()
    }

    @Test func gzipIsRecognisedByMagicBytesNotByName() throws {
        let gz = try Harness.gzip(Array(Self.lines(50).utf8))
        let r = Harness.read(gz, key: "no-extension")
        #expect(r.stats?.compression == .gzip)
        #expect(r.records.count == 50)
        #expect(r.lines == 50)
        #expect(r.error == nil)
    }

    @Test(arguments: [1, 5, 4096])
    func concatenatedMembersReadAsOneStream(chunk: Int) throws {
        let a = try Harness.gzip(Array(Self.lines(30).utf8))
        let b = try Harness.gzip(Array(Self.lines(20, from: 30).utf8))
        let c = try Harness.gzip(Array(Self.lines(1, from: 50).utf8))
        let r = Harness.read(a + b + c, chunk: chunk)
        #expect(r.records.count == 51)
        #expect(r.records.map(\.attemptsMade) == (0..<51).map { Int64($0) })
        #expect(r.error == nil)
    }

    @Test func truncatedSecondMemberKeepsTheFirstMembersRecords() throws {
        let a = try Harness.gzip(Array(Self.lines(30).utf8))
        let b = try Harness.gzip(Array(Self.lines(20, from: 30).utf8))
        // Cut inside the second member's 10-byte header: it can yield no data at all.
        let r = Harness.read(a + b.prefix(6))
        #expect(r.records.count == 30)
        #expect(r.malformed.isEmpty)
        guard case .truncatedGzip = r.error else {
            Issue.record("expected a truncated gzip error, got \(String(describing: r.error))")
            return
        }
    }

    @Test func truncatedInsideDeflateDataCountsWhatDecodedAndReportsTheRest() throws {
        // Compare with gzip(1) itself: it prints what it could decode before the cut.
        let text = Self.lines(2000)
        let gz = try Harness.gzip(Array(text.utf8))
        let cut = Array(gz.prefix(gz.count / 2))
        let decodable = try Harness.run("/bin/sh", ["-c", "gzip -dc 2>/dev/null; true"], input: cut)
        let completeLines = decodable.split(separator: 0x0A, omittingEmptySubsequences: false).count - 1
        let r = Harness.read(cut)
        #expect(r.records.count == completeLines)
        // The partial line at the cut is one malformed unit; nothing is lost silently.
        #expect(r.malformed.count == (decodable.last == 0x0A ? 0 : 1))
        #expect(r.records.count + r.malformed.count == r.lines)
        guard case .truncatedGzip = r.error else {
            Issue.record("expected a truncated gzip error, got \(String(describing: r.error))")
            return
        }
    }

    @Test func badCRCIsCorrupt() throws {
        var gz = try Harness.gzip(Array(Self.lines(10).utf8))
        gz[gz.count - 8] ^= 0xFF   // first CRC-32 byte of the trailer
        let r = Harness.read(gz)
        #expect(r.records.count == 10)
        guard case .corruptGzip(let why) = r.error else {
            Issue.record("expected corrupt gzip, got \(String(describing: r.error))")
            return
        }
        #expect(why.contains("check"))
    }

    @Test func trailingGarbageAfterTheLastMemberIsReported() throws {
        let gz = try Harness.gzip(Array(Self.lines(3).utf8))
        let r = Harness.read(gz + Array("garbage".utf8))
        #expect(r.records.count == 3)
        #expect(r.error == .trailingGarbage(bytes: 7))
    }

    @Test func zipIsRecognisedAndRefusedClearly() {
        let r = Harness.read([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0])
        guard case .unsupportedCompression(let name) = r.error else {
            Issue.record("expected unsupported compression")
            return
        }
        #expect(name == "ZIP")
    }

    @Test func cloudWatchLogsPayloadIsInflatedAndItsEventsCounted() throws {
        let data = try Harness.cloudWatchRawData(logGroup: "/aws/lambda/orders", events: 3)
        let control = try Harness.cloudWatchRawData(messageType: "CONTROL_MESSAGE", logGroup: "", events: 1)
        let text = #"{"rawData":"\#(data)","errorCode":"Lambda.ProcessingFailedStatus"}"# + "\n"
            + #"{"rawData":"\#(control)","errorCode":"Lambda.ProcessingFailedStatus"}"# + "\n"
        let r = Harness.read(text)
        #expect(r.records.count == 2)
        let cwl = try #require(r.records[0].payload.cloudWatch)
        #expect(r.records[0].payload.type == .cloudWatchLogs)
        #expect(cwl.logGroup == "/aws/lambda/orders")
        #expect(cwl.logStream == "s1")
        #expect(cwl.eventCount == 3)
        #expect(cwl.dataEvents == 3)
        let ctl = try #require(r.records[1].payload.cloudWatch)
        #expect(ctl.isControlMessage)
        #expect(ctl.dataEvents == 0)
    }

    @Test func gzipBombInsideRawDataIsCappedAndReported() throws {
        // 8 MiB of zeros compresses to a few KB; the cap is 1 MiB.
        let bomb = try Harness.gzip([UInt8](repeating: 0, count: 8 << 20))
        let line = #"{"rawData":"\#(Base64.encode(bomb))","errorCode":"Lambda.X"}"#
        var options = ReadOptions()
        options.maxPayloadBytes = 1 << 20
        let r = Harness.read(line, options: options)
        let record = try #require(r.records.first)
        #expect(record.payload.type == .binary)
        #expect(record.payload.problem?.contains("more than 1048576 bytes") == true)
        #expect(record.payload.decodedBytes == bomb.count)
    }
}
