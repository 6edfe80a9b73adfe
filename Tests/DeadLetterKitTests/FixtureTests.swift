@testable import DeadLetterBytes
import Foundation
import Testing

/// AWS's own examples, kept verbatim as files.
@Suite struct FixtureTests {
    func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func httpEndpointDocExampleIsOneMalformedLine() throws {
        let r = Harness.read(try fixture("http-endpoint-doc-example.json"), key: "http-endpoint-failed/x")
        #expect(r.records.isEmpty)
        #expect(r.malformed.count == 1)
        #expect(r.malformed.first?.line == 1)
        #expect(r.lines == 1)
    }

    @Test func splunkDocExampleReadsAsOnePrettyPrintedRecord() throws {
        let r = Harness.read(try fixture("splunk-doc-example.json"), key: "splunk-failed/x")
        #expect(r.records.count == 1)
        #expect(r.malformed.isEmpty)
        #expect(r.lines == 9)
        #expect(r.records.first.map { UTCTime.rfc3339($0.attemptEnding!) } == "2401-10-19T15:05:15.507Z")
    }

    @Test func controlMessagePayloadIsHealthCheckNoise() throws {
        let gz = try Harness.gzip(try fixture("cloudwatch-control-message.json"))
        let line = #"{"rawData":"\#(Base64.encode(gz))","errorCode":"Lambda.ProcessingFailedStatus","errorMessage":"ProcessingFailed status set for record"}"#
        let r = Harness.read(line, key: "processing-failed/x")
        let cwl = try #require(r.records.first?.payload.cloudWatch)
        #expect(cwl.isControlMessage)
        #expect(cwl.eventCount == 1)
        #expect(cwl.dataEvents == 0)
        #expect(cwl.owner == "CloudwatchLogs")
    }
}
