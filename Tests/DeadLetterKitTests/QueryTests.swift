@testable import DeadLetterSupport
@testable import DeadLetterEngine
@testable import DeadLetterRecords
@testable import DeadLetterQuery
import Testing

/// The `message` fingerprint: each rule with a message it must change and one it must leave alone.
@Suite struct FingerprintTests {
    func fp(_ s: String) -> String { MessageFingerprint.fingerprint(s) }

    @Test func openSearchDocumentIdsGroupButFieldNamesStayApart() {
        let a = "failed to parse field [status] of type [long] in document with id 'a81f3c'. Preview of field's value: 'FAIL'"
        let b = "failed to parse field [status] of type [long] in document with id '9d0e1177'. Preview of field's value: 'n/a'"
        let c = "failed to parse field [level] of type [long] in document with id 'a81f3c'. Preview of field's value: 'FAIL'"
        #expect(fp(a) == "failed to parse field [status] of type [long] in document with id '<*>'. Preview of field's value: '<*>'")
        #expect(fp(a) == fp(b))
        #expect(fp(a) != fp(c))
    }

    @Test func apostropheInAWordIsNotAQuote() {
        let splunk = "Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk."
        #expect(fp(splunk) == splunk)
    }

    @Test func messagesWithoutVariablesAreUnchanged() {
        let lambda = "The Lambda function was successfully invoked but it returned an error result."
        #expect(fp(lambda) == lambda)
        let bracketed = "mapper_parsing_exception: [status] of type [long]"
        #expect(fp(bracketed) == bracketed)
    }

    @Test func httpEndpointReplyKeepsTheErrorAndDropsTheIds() {
        let a = #"Received the following response from the endpoint destination. {"requestId": "109777ac-8f9b-4082-8e8d-b4f12b5fc17b", "timestamp": 1594266081268, "errorMessage": "Unauthorized"}"#
        let b = #"Received the following response from the endpoint destination. {"requestId": "aa1b2c3d-8f9b-4082-8e8d-b4f12b5fc17b", "timestamp": 1594266099999, "errorMessage": "Unauthorized"}"#
        let forbidden = #"Received the following response from the endpoint destination. {"requestId": "aa1b2c3d-8f9b-4082-8e8d-b4f12b5fc17b", "timestamp": 1594266099999, "errorMessage": "Forbidden"}"#
        #expect(fp(a) == #"Received the following response from the endpoint destination. {"requestId": "<*>", "timestamp": <id>, "errorMessage": "Unauthorized"}"#)
        #expect(fp(a) == fp(b))
        #expect(fp(a) != fp(forbidden))
    }

    @Test func escapedQuotesInsideADescriptiveValueAreQuotes() {
        let a = #"{"type":"mapper_parsing_exception","reason":"x","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"FAIL\""}}"#
        let b = #"{"type":"mapper_parsing_exception","reason":"x","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"slow\""}}"#
        #expect(fp(a) == fp(b))
        #expect(fp(a).contains(#"For input string: \"<*>\""#))
        #expect(fp(a).contains(#""type":"illegal_argument_exception""#))
    }

    @Test func quotedValuesOutsideDescriptiveMembersBecomePlaceholders() {
        #expect(fp(#"The record contains columns that are not present in the table: ["sessionId"]"#)
                == #"The record contains columns that are not present in the table: ["<*>"]"#)
        #expect(fp(#"{"id": "x"}"#) == #"{"id": "<*>"}"#)
    }

    @Test func httpStatusIsKeptOtherNumbersAreNot() {
        #expect(fp("The following response was received from the endpoint destination. 413: {}")
                == "The following response was received from the endpoint destination. 413: {}")
        #expect(fp("returned status 503") == "returned status 503")
        #expect(fp("Retried 441 time, going to sleep 57.148066432s") == "Retried <num> time, going to sleep <num>s")
        #expect(fp("413 records failed") == "<num> records failed")
    }

    @Test func longDigitIdsHexIdsUUIDsAndTimestamps() {
        #expect(fp("sequence 49607357361271740811418664280693044274821622880012337186 rejected") == "sequence <id> rejected")
        #expect(fp("instance i-09d213ee4b5206efd stopped") == "instance i-<hex> stopped")
        #expect(fp("request 6a7e8feb-b491-4cf7-a9f1-bf3703467718 failed") == "request <uuid> failed")
        #expect(fp("at 2024-03-05T14:00:01.123Z and 2024-03-05 14:00") == "at <time> and <time>")
        #expect(fp("on 2024-03-05") == "on <time>")
        // Words with digits are not ids: they name things.
        #expect(fp("cw2splunk ipv4 s3 deadbeef") == "cw2splunk ipv4 s3 deadbeef")
    }
}

@Suite struct FilterTests {
    static let lines = [
        #"{"rawData":"eyJ1c2VyIjp7ImlkIjoidTEifSwidGFncyI6W3sibiI6ImEifV19","errorCode":"Splunk.AckTimeout","attemptsMade":1,"arrivalTimestamp":1709647200000}"#,
        #"{"rawData":"eyJ1c2VyIjp7ImlkIjoidTIifX0=","errorCode":"Splunk.IndexerBusy","attemptsMade":2,"arrivalTimestamp":1709650800000}"#,
        #"{"rawData":"dGV4dA==","errorCode":"Splunk.IndexerBusy","arrivalTimestamp":1709654400000}"#,
        #"{"rawData":"dGV4dA==","attemptsMade":3}"#,
    ].joined(separator: "\n")

    func selected(_ conditions: [String], since: Int64? = nil, until: Int64? = nil) throws -> [Int] {
        var filter = RecordFilter()
        filter.conditions = try conditions.map { text throws(UsageError) in try Condition(parsing: text) }
        filter.since = since
        filter.until = until
        var options = ReadOptions()
        options.payloadNeeds = PayloadNeeds(paths: RecordField.payloadPaths(filter.fields))
        return Harness.read(Self.lines, key: "splunk-failed/x", options: options).records.filter(filter.accepts).map(\.line)
    }

    @Test func equalsNotEqualsAndRegex() throws {
        #expect(try selected(["errorCode=Splunk.IndexerBusy"]) == [2, 3])
        #expect(try selected(["errorCode!=Splunk.IndexerBusy"]) == [1, 4])
        #expect(try selected(["errorCode~Ack|^Splunk\\.Index"]) == [1, 2, 3])
        #expect(try selected(["errorCode~Busy", "attempts=2"]) == [2])
    }

    @Test func missingValuesCompareAsNone() throws {
        #expect(try selected(["errorCode=(none)"]) == [4])
        #expect(try selected(["attempts=(none)"]) == [3])
    }

    @Test func payloadPathsIncludingArrayIndexes() throws {
        // Payloads: {"user":{"id":"u1"},"tags":[{"n":"a"}]}, {"user":{"id":"u2"}}, "text", "text".
        #expect(try selected(["payload.user.id=u2"]) == [2])
        #expect(try selected(["payload.tags.0.n=a"]) == [1])
        #expect(try selected(["payload.user.id=(none)"]) == [3, 4])
        #expect(try selected(["payload.tags.1.n=(none)"]) == [1, 2, 3, 4])
    }

    @Test func timeWindowIsHalfOpenAndSkipsRecordsWithoutArrival() throws {
        #expect(try selected([], since: 1709650800000) == [2, 3])
        #expect(try selected([], until: 1709650800000) == [1])
        #expect(try selected([], since: 1709647200000, until: 1709654400000) == [1, 2])
    }

    @Test func timeArgumentForms() throws {
        let now: Int64 = 1_709_654_400_000   // 2024-03-05T16:00:00Z
        #expect(try TimeArgument.parse("2024-03-05T14:00:00Z", now: now) == 1709647200000)
        #expect(try TimeArgument.parse("2024-03-05T15:00:00+01:00", now: now) == 1709647200000)
        #expect(try TimeArgument.parse("2024-03-05", now: now) == 1709596800000)
        #expect(try TimeArgument.parse("1709647200000", now: now) == 1709647200000)
        #expect(try TimeArgument.parse("2h", now: now) == 1709647200000)
        #expect(try TimeArgument.parse("36h", now: now) == now - 36 * 3_600_000)
        #expect(try TimeArgument.parse("7d", now: now) == now - 7 * 86_400_000)
        #expect(try TimeArgument.parse("90m", now: now) == now - 90 * 60_000)
        #expect(throws: UsageError.self) { try TimeArgument.parse("yesterday", now: now) }
        #expect(throws: UsageError.self) { try TimeArgument.parse("5y", now: now) }
    }

    @Test func badConditionsAreUsageErrors() {
        do {
            _ = try Condition(parsing: "colour=red")
            Issue.record("expected a usage error")
        } catch {
            #expect(error.message.contains("unknown field 'colour'"))
            #expect(error.message.contains("valid fields: kind, errorCode"))
        }
        #expect(throws: UsageError.self) { try Condition(parsing: "errorCode") }
        #expect(throws: UsageError.self) { try Condition(parsing: "errorCode~(unclosed") }
    }

    @Test func valuesMayContainOperatorCharacters() throws {
        let c = try Condition(parsing: "errorMessage=a=b~c")
        #expect(c.field == .errorMessage)
        #expect(c.op == .equals)
        #expect(c.value == "a=b~c")
    }
}

@Suite struct StreamNameTests {
    @Test(arguments: [
        ("my-app-logs-12-2024-03-05-14-10-00-c7cc019b-af51-412d-b641-b3b44ceb3d87.gz", "my-app-logs", 12),
        ("my-app-logs-2024-03-05-14-10-00-c7cc019b-af51-412d-b641-b3b44ceb3d87", "my-app-logs", nil as Int?),
        ("x-1-2024-03-05-14-10-00-C7CC019B-AF51-412D-B641-B3B44CEB3D87.snappy", "x", 1),
    ])
    func streamAndVersionFromTheName(name: String, stream: String, version: Int?) {
        let key = ObjectKey("bucket/splunk-failed/2024/03/05/14/" + name)
        #expect(key.stream == stream)
        #expect(key.version == version)
    }
}
