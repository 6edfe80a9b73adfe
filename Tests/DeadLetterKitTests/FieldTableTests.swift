@testable import DeadLetterSupport
@testable import DeadLetterBytes
@testable import DeadLetterQuery
import Foundation
import Testing

/// The one table of field names: every column `records` prints can be asked for by that name.
@Suite struct FieldTableTests {
    /// The full row's columns, in order, written out from the contract and the README (not from the code).
    static let fullRow = [
        "kind", "errorCode", "errorMessage", "attemptsMade", "arrival", "attemptEnding", "file", "line",
        "documentId", "index", "typeName", "eventId", "dataId", "subsequenceNumber", "sequenceNumber",
        "lambda", "stream", "rule", "ruleArn", "target", "retryCondition", "source", "detailType", "messageId",
        "missingAttributes", "schedule", "scheduledTime", "executionId", "payloadType", "payloadBytes", "logGroup", "logStream", "logEvents",
        "entries", "otherFields", "payload",
    ]

    /// The samples of every family, and one record with members deadletter does not know (so that
    /// `otherFields` has a value somewhere).
    static func inputs() throws -> (paths: [String], cleanup: URL) {
        let dir = try CLI.temporaryDirectory()
        let extra = dir.appendingPathComponent("unknown-members.ndjson")
        try Data((#"{"rawData":"aGk=","errorCode":"X","region":"eu-west-1","retries":[1,2]}"# + "\n").utf8).write(to: extra)
        return (["samples/firehose", "samples/eventbridge-dlq", extra.path], dir)
    }

    static func objects(_ ndjson: String) throws -> [[String: Any]] {
        try ndjson.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// The members of a JSON object line in order (JSONSerialization loses the order).
    static func keys(ofLine line: Substring) -> [String] {
        // Every member's key follows `{` or `,` at the top level: walk the line, skipping strings and nesting.
        var keys: [String] = []
        var depth = 0, i = line.startIndex, expectKey = false
        while i < line.endIndex {
            let c = line[i]
            if c == "\"" {
                var j = line.index(after: i)
                while line[j] != "\"" { j = line.index(j, offsetBy: line[j] == "\\" ? 2 : 1) }
                if expectKey && depth == 1 { keys.append(String(line[line.index(after: i)..<j])) }
                expectKey = false
                i = line.index(after: j)
                continue
            }
            if c == "{" || c == "[" { depth += 1; expectKey = c == "{" && depth == 1 }
            if c == "}" || c == "]" { depth -= 1 }
            if c == "," && depth == 1 { expectKey = true }
            i = line.index(after: i)
        }
        return keys
    }

    /// One value as JSON text, to compare values of any type.
    static func text(_ value: Any?) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: [value ?? NSNull()], options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theFullRowHasTheContractsColumnsInOrder() throws {
        let (paths, dir) = try Self.inputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ndjson = try CLI.run(["records", "-q"] + paths)
        let lines = ndjson.stdout.split(separator: "\n")
        #expect(lines.count > 50)
        for line in lines { #expect(Self.keys(ofLine: line) == Self.fullRow) }
        let csv = try CLI.run(["records", "-q", "--format", "csv"] + paths)
        #expect(csv.stdout.split(separator: "\r\n").first.map(String.init) == Self.fullRow.joined(separator: ","))
    }

    /// Each column alone, by the name the full row gives it, has the value the full row has; and all of them
    /// together are the full row, byte for byte, in NDJSON and CSV. Every column has a value in some row, so
    /// a column that read another field's value would show.
    @Test func everyColumnIsAFieldWithTheSameValue() throws {
        let (paths, dir) = try Self.inputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try CLI.run(["records", "-q"] + paths)
        let rows = try Self.objects(full.stdout)
        for column in Self.fullRow {
            #expect(rows.contains { !($0[column] is NSNull) }, "no sample has a value for \(column)")
            let alone = try CLI.run(["records", "-q", "--fields", column] + paths)
            #expect(alone.status == 0, "--fields \(column): \(alone.stderr)")
            let cells = try Self.objects(alone.stdout)
            #expect(cells.count == rows.count)
            for (cell, row) in zip(cells, rows) {
                #expect(Array(cell.keys) == [column])
                #expect(try Self.text(cell[column]) == Self.text(row[column]), "\(column)")
            }
        }
        let all = Self.fullRow.joined(separator: ",")
        #expect(try CLI.run(["records", "-q", "--fields", all] + paths).stdout == full.stdout)
        let csv = try CLI.run(["records", "-q", "--format", "csv"] + paths).stdout
        #expect(try CLI.run(["records", "-q", "--format", "csv", "--fields", all] + paths).stdout == csv)
    }

    /// Scalar columns group and filter by the text their cell has; lists and objects are refused there, and
    /// the message says where they can be used.
    @Test func newColumnsGroupAndFilter() throws {
        let summary = try CLI.run(["summarize", "samples/eventbridge-dlq", "--by", "ruleArn,attemptsMade", "--format", "json"]).json()
        #expect(summary["groupBy"] as? [String] == ["ruleArn", "attemptsMade"])
        let groups = try #require(summary["groups"] as? [[String: Any]])
        #expect(groups.contains { ($0["key"] as? [String: String])?["ruleArn"]?.hasPrefix("arn:aws:events:") == true })
        let input = Data((#"{"rawData":"aGk=","errorCode":"X","attemptsMade":4,"esTypeName":"_doc","esIndexName":"i"}"# + "\n"
            + #"{"rawData":"aGk=","errorCode":"Y","attemptsMade":2,"esTypeName":"log","esIndexName":"i"}"# + "\n").utf8)
        let picked = try CLI.run(["records", "-q", "--where", "typeName=log", "--where", "attemptsMade=2", "--where", "payloadBytes=2",
                                  "--fields", "errorCode"], stdin: input)
        #expect(picked.stdout == #"{"errorCode":"Y"}"# + "\n")
        for (flag, value) in [("--by", "entries"), ("--where", "otherFields~x"), ("--where", "missingAttributes=[]")] {
            let refused = try CLI.run(["summarize", "-q", flag, value], stdin: input)
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("cannot be used with \(flag), only with --fields"), "\(refused.stderr)")
        }
    }

    /// The one place the full row and the field differ: an empty document id is shown as written in the
    /// full row, and is no id as a field (as in grouping, where it falls under (none)).
    @Test func anEmptyDocumentIdIsShownAsWrittenOnlyInTheFullRow() throws {
        let input = Data((#"{"rawData":"e30=","errorCode":"400","esDocumentId":"","esIndexName":"i"}"# + "\n").utf8)
        let full = try Self.objects(try CLI.run(["records", "-q", "--kind", "opensearch"], stdin: input).stdout)
        #expect(full.first?["documentId"] as? String == "")
        let alone = try CLI.run(["records", "-q", "--kind", "opensearch", "--fields", "documentId"], stdin: input)
        #expect(alone.stdout == #"{"documentId":null}"# + "\n")
    }

    /// `named` and the full row's visitor are two lists written by hand: a column added to the row but not
    /// to `named` would print in `records` yet be refused by `--fields`.
    @Test func everyColumnOfTheFullRowIsSelectableByItsName() throws {
        #expect(RecordField.recordRow.count == Self.fullRow.count)
        for column in RecordField.recordRow {
            #expect(RecordField.named.contains(column), "\(column.name) is a column of the full row but not in `named`")
            #expect(try RecordField.parse(column.name, for: .fields) == column)
        }
    }

    @Test func namesParseForTheFlagsThatTakeThem() throws {
        #expect(try RecordField.parseList("attemptsMade, typeName,ruleArn", for: .fields) == [.attemptsMade, .typeName, .ruleArn])
        #expect(try RecordField.parseList("kind,kind,payload.a.0", for: .by) == [.kind, .payloadPath(["a", "0"])])
        #expect(try RecordField.parseList("entries", for: .fields) == [.entries])
        #expect(throws: UsageError.self) { try RecordField.parseList("entries", for: .by) }
        #expect(throws: UsageError.self) { try RecordField.parseList("payload.", for: .fields) }
        // Every name the table lists reads back as its field.
        for field in RecordField.named { #expect(RecordField(name: field.name) == field) }
        #expect(Set(RecordField.named.map(\.name)).count == RecordField.named.count)
        #expect(RecordField.recordRow.map(\.name) == Self.fullRow)
    }
}

/// "Did you mean": the nearest valid name for a mistyped one.
@Suite struct SuggestionTests {
    static let fields = RecordField.named.map(\.name)

    @Test(arguments: [
        ("atemptsMade", "attemptsMade"),    // a letter left out
        ("erorrCode", "errorCode"),         // two letters swapped
        ("ERRORCODE", "errorCode"),         // case only
        ("documentid", "documentId"),
        ("paylaodType", "payloadType"),
        ("logStrem", "logStream"),
    ])
    func nearNamesAreSuggested(typed: String, meant: String) {
        #expect(Suggestion.closest(to: typed, among: Self.fields) == meant)
    }

    @Test(arguments: ["colour", "x", "severity", "zzzzzzzzzz", ""])
    func farNamesGetNoSuggestion(typed: String) {
        #expect(Suggestion.closest(to: typed, among: Self.fields) == nil)
        #expect(Suggestion.didYouMean(typed, among: Self.fields) == "")
    }

    @Test func distancesCountEachEditOnce() {
        func d(_ a: String, _ b: String) -> Int { Suggestion.editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars)) }
        #expect(d("kitten", "sitting") == 3)
        #expect(d("ab", "ba") == 1)
        #expect(d("abc", "") == 3)
        #expect(d("", "ab") == 2)
        #expect(d("same", "same") == 0)
    }

    @Test func theFirstOfEquallyNearCandidatesWins() {
        #expect(Suggestion.closest(to: "cat", among: ["bat", "car"]) == "bat")
        #expect(Suggestion.closest(to: "cat", among: ["car", "bat"]) == "car")
        #expect(Suggestion.didYouMean("splnk", among: ["splunk"]) == " (did you mean 'splunk'?)")
    }

    @Test(arguments: [
        (["records", "--fields", "kind,atemptsMade"], "--fields: unknown field 'atemptsMade' (did you mean 'attemptsMade'?)"),
        (["summarize", "--by", "erorCode"], "--by: unknown field 'erorCode' (did you mean 'errorCode'?)"),
        (["records", "--where", "documentid=x"], "--where 'documentid=x': unknown field 'documentid' (did you mean 'documentId'?)"),
        (["summarize", "--kind", "splnk"], "The value 'splnk' is invalid for '--kind <kind>' (did you mean 'splunk'?)"),
        (["records", "--kind", "OpenSearch"], "The value 'OpenSearch' is invalid for '--kind <kind>' (did you mean 'opensearch'?)"),
        // The S3 folder a family writes to, typed for its kind.
        (["summarize", "--kind", "splunk-failed"], "The value 'splunk-failed' is invalid for '--kind <kind>' (did you mean 'splunk'?)"),
        (["records", "--kind", "AmazonOpenSearchService-failed"], "The value 'AmazonOpenSearchService-failed' is invalid for '--kind <kind>' (did you mean 'opensearch'?)"),
        (["backfill", "--dry-run", "--target", "splunkhec"], "The value 'splunkhec' is invalid for '--target <target>' (did you mean 'splunk-hec'?)"),
        (["summarize", "--by", "colour"], "--by: unknown field 'colour'; valid fields: kind, errorCode"),
    ])
    func mistypedNamesAreUsageErrorsWithTheNearestName(arguments: [String], message: String) throws {
        let run = try CLI.run(arguments + ["samples/firehose"])
        #expect(run.status == 64)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    /// A kind or target that is valid is taken as before, `unknown` included (it names records of no family).
    @Test func validChoicesStillWork() throws {
        #expect(try CLI.run(["summarize", "-q", "--kind", "unknown", "samples/firehose"]).status == 0)
        #expect(try CLI.run(["summarize", "-q", "--kind", "splunk", "samples/firehose"]).status == 0)
        let plan = try CLI.run(["backfill", "-q", "--dry-run", "--target", "splunk-hec", "samples/firehose"])
        #expect(plan.status == 0, "\(plan.stderr)")
    }
}

/// `records --explode` rows: their event columns are fields too, chosen and ordered by `--fields`.
@Suite struct ExplodedFieldTests {
    static func rows(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try CLI.run(["records", "samples/firehose", "-q", "--explode"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
    }

    @Test func eventColumnsAreChosenByTheirNames() throws {
        let full = try Self.rows([])
        // The samples hold 7 CloudWatch Logs events (README: "7 CloudWatch Logs events").
        #expect(full.count == 7)
        let chosen = try CLI.run(["records", "samples/firehose", "-q", "--explode", "--fields", "timestamp,logGroup,message"])
        let lines = chosen.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == full.count)
        for (line, row) in zip(lines, full) {
            // Exactly the chosen columns, in the chosen order, with the values of the full row.
            let expected = "{\"timestamp\":\(Self.json(row["timestamp"])),\"logGroup\":\(Self.json(row["logGroup"])),\"message\":\(Self.json(row["message"]))}"
            #expect(line == expected)
        }
    }

    @Test func eventColumnsFollowChosenRecordFieldsWhenNoneIsNamed() throws {
        let rows = try Self.rows(["--fields", "errorCode,logStream"])
        #expect(rows.count == 7)
        let header = try CLI.run(["records", "samples/firehose", "-q", "--explode", "--format", "csv", "--fields", "errorCode,logStream"])
        #expect(header.stdout.split(whereSeparator: \.isNewline).first == "errorCode,logStream,logEventId,timestamp,message")
    }

    @Test func eventColumnsNeedExplode() throws {
        let result = try CLI.run(["records", "samples/firehose", "--fields", "kind,timestamp"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("Error: --fields: 'timestamp' is a column of --explode rows (one per CloudWatch Logs event); add --explode\n"))
        let grouped = try CLI.run(["summarize", "samples/firehose", "--by", "logEventId"])
        #expect(grouped.status == 64)
        #expect(grouped.stderr.contains("field 'logEventId' cannot be used with --by, only with records --explode --fields"))
    }

    /// A value as JSON text, for building the expected line from the parsed full row.
    static func json(_ value: Any?) -> String {
        switch value {
        case let s as String:
            let data = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            let text = data.map { String(decoding: $0, as: UTF8.self) } ?? "[]"
            return String(text.dropFirst().dropLast())
        case let n as NSNumber: return n.stringValue
        default: return "null"
        }
    }
}
