@testable import DeadLetterBytes
@testable import DeadLetterEngine
@testable import DeadLetterRecords
import Testing

/// One test per failure family, built from the documented and real records quoted in formats.md.
@Suite struct FamilyTests {
    @Test func processingFailedRealRecordSpellsLambdaARN() throws {
        let line = #"{"rawData":"eyJldmVudERhdGEiOnt9fQ==","errorCode":"Lambda.ProcessingFailedStatus","errorMessage":"ProcessingFailed status set for record","attemptsMade":1,"arrivalTimestamp":1767226448282,"attemptEndingTimestamp":1767226451126,"lambdaARN":"arn:aws:lambda:us-east-1:036973774136:function:test-gravity-events-transform"}"#
        let result = Harness.read(line + "\n", key: "processing-failed/2026/01/01/00/s-1-2026-01-01-00-14-08-c7cc019b-af51-412d-b641-b3b44ceb3d87")
        let r = try #require(result.records.first)
        #expect(r.kind == .processingFailed)
        #expect(r.errorCode == "Lambda.ProcessingFailedStatus")
        #expect(r.lambdaArn == "arn:aws:lambda:us-east-1:036973774136:function:test-gravity-events-transform")
        #expect(r.attemptsMade == 1)
        #expect(r.arrival == 1767226448282)
        #expect(r.attemptEnding == 1767226451126)
        // {"eventData":{}} is 16 bytes.
        #expect(r.payload.type == .json)
        #expect(r.payload.decodedBytes == 16)
    }

    @Test func processingFailedIsRecognisedByFieldsWithoutAPath() throws {
        let line = #"{"rawData":"YWJj","errorCode":"Lambda.FunctionError","lambdaArn":"arn:aws:lambda:eu-west-2:1:function:f:$LATEST"}"#
        let r = try #require(Harness.read(line, key: "dump.json").records.first)
        #expect(r.kind == .processingFailed)
        #expect(r.lambdaArn == "arn:aws:lambda:eu-west-2:1:function:f:$LATEST")
        #expect(r.payload.type == .text)
    }

    @Test func formatConversionCurrentAndOlderSpellings() throws {
        let current = #"{"attemptsMade":1,"arrivalTimestamp":1594265943615,"lastErrorCode":"DataFormatConversion.ParseError","lastErrorMessage":"Encountered malformed JSON.","attemptEndingTimestamp":1594265943700,"rawData":"bm90IGpzb24=","sequenceNumber":"4960","subSequenceNumber":null,"dataCatalogTable":{"catalogId":null,"databaseName":"db","tableName":"t","region":"us-east-1","versionId":"LATEST","catalogArn":null}}"#
        let older = #"{"attemptsMade":1,"arrivalTimestamp":1594265943615,"ErrorCode":"DataFormatConversion.MalformedData","ErrorMessage":"The value doesn't match the column type","rawData":"e30="}"#
        let result = Harness.read(current + "\n" + older + "\n", key: "x.json")
        #expect(result.records.count == 2)
        #expect(result.records[0].kind == .formatConversionFailed)
        #expect(result.records[0].errorCode == "DataFormatConversion.ParseError")
        #expect(result.records[0].errorMessage == "Encountered malformed JSON.")
        #expect(result.records[0].sequenceNumber == "4960")
        #expect(result.records[0].dataCatalogTable?.contains("\"tableName\":\"t\"") == true)
        #expect(result.records[1].kind == .formatConversionFailed)
        #expect(result.records[1].errorCode == "DataFormatConversion.MalformedData")
    }

    @Test func redshiftManifestIsOneRecordWithItsEntries() throws {
        let manifest = """
        {
          "entries": [
            {"url": "s3://bucket/prefix/2019/09/26/13/collect-redshift-1-2019-09-26-13-00-00-aaaa.gz", "mandatory": true},
            {"url": "s3://bucket/prefix/2019/09/26/13/collect-redshift-1-2019-09-26-13-05-00-bbbb.gz", "mandatory": true},
            {"url": "s3://bucket/prefix/2019/09/26/13/collect-redshift-1-2019-09-26-13-10-00-cccc.gz", "mandatory": false}
          ]
        }

        """
        let key = "errors/manifests/2019/09/26/13/collect-redshift-2019-09-26-13-21-49-56371982-2375-4b28-8d79-45f01952667e"
        let result = Harness.read(manifest, key: key)
        #expect(result.malformed.isEmpty)
        let r = try #require(result.records.first)
        #expect(result.records.count == 1)
        #expect(r.kind == .redshiftManifest)
        #expect(r.manifestEntries?.count == 3)
        #expect(r.manifestEntries?[2].mandatory == false)
        #expect(r.payload.type == nil)
        // The key's timestamp, 2019-09-26 13:21:49 UTC, stands in for the arrival.
        #expect(r.arrival == 1569504109000)
        #expect(r.file.objectKey.stream == "collect-redshift")
        #expect(r.file.objectKey.version == nil)
    }

    @Test func openSearchDocumentedTemplateWithPlaceholderStrings() throws {
        // The documentation's template has prose where numbers go: it must read, not crash.
        let doc = #"{ "attemptsMade": "(number of index requests attempted)", "arrivalTimestamp": "(the time when the document was received by Firehose)", "errorCode": "(http error code returned by OpenSearch Service)", "errorMessage": "(error message returned by OpenSearch Service)", "attemptEndingTimestamp": "(the time when Firehose stopped attempting index request)", "esDocumentId": "(intended OpenSearch Service document ID)", "esIndexName": "(intended OpenSearch Service index name)", "esTypeName": "(intended OpenSearch Service type name)", "rawData": "(base64-encoded document data)" }"#
        let r = try #require(Harness.read(doc, key: "x").records.first)
        #expect(r.kind == .openSearch)
        #expect(r.attemptsMade == nil)
        #expect(r.arrival == nil)
        #expect(r.indexName == "(intended OpenSearch Service index name)")
        #expect(r.payload.type == .invalidBase64)
    }

    @Test(arguments: ["AmazonOpenSearchService-failed", "AmazonOpenSearchService_failed", "elasticsearch-failed"])
    func openSearchFolderSpellings(folder: String) throws {
        let line = #"{"attemptsMade":3,"arrivalTimestamp":1709647200000,"errorCode":"400","errorMessage":"failed to parse field [status] of type [long] in document with id 'a81f'","esDocumentId":"a81f","esIndexName":"logs-2024-03-05","esTypeName":"_doc","rawData":"eyJzdGF0dXMiOiJvayJ9"}"#
        let r = try #require(Harness.read(line, key: "\(folder)/2024/03/05/14/s-1-2024-03-05-14-00-00-c7cc019b-af51-412d-b641-b3b44ceb3d87").records.first)
        #expect(r.kind == .openSearch)
        #expect(r.documentId == "a81f")
        #expect(r.indexName == "logs-2024-03-05")
        #expect(r.typeName == "_doc")
        #expect(r.errorCode == "400")
    }

    @Test func openSearchServerlessSharesTheFolderButUsesOSKeys() throws {
        let line = #"{"attemptsMade":1,"arrivalTimestamp":1709647200000,"errorCode":"403","errorMessage":"forbidden","osDocumentId":"d1","osIndexName":"idx","rawData":"e30="}"#
        let inFolder = try #require(Harness.read(line, key: "AmazonOpenSearchService-failed/2024/03/05/14/f").records.first)
        #expect(inFolder.kind == .openSearchServerless)
        let bare = try #require(Harness.read(line, key: "f").records.first)
        #expect(bare.kind == .openSearchServerless)
        #expect(bare.documentId == "d1")
    }

    @Test func splunkDocumentedExampleWithAYear2401Timestamp() throws {
        let doc = """
        {
          "attemptsMade": 0,
          "arrivalTimestamp": 1506035354675,
          "errorCode": "Splunk.AckTimeout",
          "errorMessage": "Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk. Amazon Data Firehose backs up in Amazon S3 data for which the acknowledgement timeout expired.",
          "attemptEndingTimestamp": 13626284715507,
          "rawData": "MiAyNTE2MjAyNzIyMDkgZW5pLTA1ZjMyMmQ1IDIxOC45Mi4xODguMjE0IDE3Mi4xNi4xLjE2NyAyNTIzMyAxNDMzIDYgMSA0MCAxNTA2MDM0NzM0IDE1MDYwMzQ3OTQgUkVKRUNUIE9LCg==",
          "EventId": "49577193928114147339600778471082492393164139877200035842.0"
        }
        """
        let r = try #require(Harness.read(doc, key: "d").records.first)
        #expect(r.kind == .splunk)
        #expect(r.eventId == "49577193928114147339600778471082492393164139877200035842.0")
        #expect(r.attemptEnding == 13626284715507)
        // Worked out with Python's datetime: 1970-01-01 + 13626284715507 ms.
        #expect(UTCTime.rfc3339(r.attemptEnding!) == "2401-10-19T15:05:15.507Z")
        #expect(UTCTime.rfc3339(r.arrival!) == "2017-09-21T23:09:14.675Z")
        // A VPC flow log line: 106 bytes of text ending in a newline.
        #expect(r.payload.type == .text)
        #expect(r.payload.decodedBytes == 106)
    }

    @Test func splunkRecordsKeyedOnSubsequenceNumber() throws {
        let line = #"{"attemptsMade":3,"arrivalTimestamp":1,"errorCode":"Splunk.IndexerBusy","errorMessage":"busy","rawData":"e30=","subsequenceNumber":0}"#
        let r = try #require(Harness.read(line, key: "splunk-failed/f").records.first)
        #expect(r.kind == .splunk)
        #expect(r.subsequenceNumber == "0")
    }

    @Test func httpEndpointDocumentedExampleIsNotJSONAndCountsAsMalformed() throws {
        // Verbatim from AWS's retry page: the errorMessage embeds unescaped quotes.
        let doc = #"{"attemptsMade":5,"arrivalTimestamp":1594265943615,"errorCode":"HttpEndpoint.DestinationException","errorMessage":"Received the following response from the endpoint destination. {"requestId": "109777ac-8f9b-4082-8e8d-b4f12b5fc17b", "timestamp": 1594266081268, "errorMessage": "Unauthorized"}","attemptEndingTimestamp":1594266081318,"rawData":"c2FtcGxlIHJhdyBkYXRh","subsequenceNumber":0,"dataId":"49607357361271740811418664280693044274821622880012337186.0"}"#
        let good = #"{"attemptsMade":5,"arrivalTimestamp":1594265943615,"errorCode":"HttpEndpoint.DestinationException","errorMessage":"Received the following response from the endpoint destination. {\"requestId\": \"109777ac\", \"errorMessage\": \"Unauthorized\"}","attemptEndingTimestamp":1594266081318,"rawData":"c2FtcGxlIHJhdyBkYXRh","subsequenceNumber":0,"dataId":"49607357361271740811418664280693044274821622880012337186.0"}"#
        let result = Harness.read(doc + "\n" + good + "\n", key: "http-endpoint-failed/2020/07/09/03/f")
        #expect(result.malformed.count == 1)
        #expect(result.malformed.first?.line == 1)
        #expect(result.records.count == 1)
        let r = try #require(result.records.first)
        #expect(r.kind == .httpEndpoint)
        #expect(r.line == 2)
        #expect(r.dataId == "49607357361271740811418664280693044274821622880012337186.0")
        #expect(r.errorMessage?.contains(#"{"requestId": "109777ac""#) == true)
        #expect(r.payload.type == .text)
        #expect(r.payload.decodedBytes == 15)   // "sample raw data"
        #expect(result.lines == 2)
    }

    @Test func snowflakeDocumentedExample() throws {
        let doc = #"{ "attemptsMade": 3, "arrivalTimestamp": 1594265943615, "errorCode": "Snowflake.InvalidColumns", "errorMessage": "Snowpipe Streaming does not support columns of type AUTOINCREMENT, IDENTITY, GEO, or columns with a default value or collation", "attemptEndingTimestamp": 1712937865543, "rawData": "c2FtcGxlIHJhdyBkYXRh" }"#
        let inFolder = try #require(Harness.read(doc, key: "snowflake-failed/2024/04/12/16/f").records.first)
        #expect(inFolder.kind == .snowflake)
        let byCode = try #require(Harness.read(doc, key: "somewhere/else").records.first)
        #expect(byCode.kind == .snowflake)
        #expect(byCode.attemptsMade == 3)
    }

    @Test func icebergFromItsFolderAndFromItsCode() throws {
        let line = #"{"attemptsMade":1,"arrivalTimestamp":1763591448000,"errorCode":"Iceberg.MissingColumnWithinRecord","errorMessage":"Column missing","rawData":"eyJhIjoxfQ==","EventId":"1.0"}"#
        let key = "iceberg-failed/2025/11/19/22/meraki-firehose-4-2025-11-19-22-30-48-c0357a0f-495d-4eb6-9383-66b7d9347e15"
        let r = try #require(Harness.read(line, key: key).records.first)
        #expect(r.kind == .iceberg)
        #expect(r.file.objectKey.stream == "meraki-firehose")
        #expect(r.file.objectKey.version == 4)
        let bare = try #require(Harness.read(line, key: "f").records.first)
        #expect(bare.kind == .iceberg)
    }

    @Test func decompressionFailedKeepsTheStillCompressedPayload() throws {
        // The record is stored as it arrived: gzip magic, then garbage.
        let broken: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02]
        let raw = Base64.encode(broken)
        let line = #"{"attemptsMade":1,"arrivalTimestamp":1,"errorCode":"Decompression.Failure","errorMessage":"x","rawData":"\#(raw)"}"#
        let result = Harness.read(line, key: "decompression-failed/2024/01/01/00/f")
        let r = try #require(result.records.first)
        #expect(r.kind == .decompressionFailed)
        #expect(r.payload.type == .binary)
        #expect(r.payload.problem != nil)
        #expect(result.payloadProblems.count == 1)
    }

    @Test func recordWithoutAnyClueIsUnknownUnlessKindIsGiven() throws {
        let line = #"{"rawData":"YQ==","errorCode":"Something"}"#
        #expect(Harness.read(line, key: "x").records.first?.kind == .unknown)
        var options = ReadOptions()
        options.fallbackKind = .snowflake
        #expect(Harness.read(line, key: "x", options: options).records.first?.kind == .snowflake)
        // --kind does not override a clue.
        #expect(Harness.read(line, key: "splunk-failed/x", options: options).records.first?.kind == .splunk)
    }

    @Test func customPrefixMayHoldTheTypeAnywhere() {
        #expect(FailureFamilies.kind(forKey: "myFirehoseFailures/processing-failed/2018/08/27/10/f") == .processingFailed)
        #expect(FailureFamilies.kind(forKey: "errors-splunk-failed-v2/2018/08/27/10/f") == .splunk)
        #expect(FailureFamilies.kind(forKey: "ses-logs/errors/manifests/2020/03/01/00/f") == .redshiftManifest)
        #expect(FailureFamilies.kind(forKey: "plain/2020/03/01/00/f") == nil)
        // The file name is not a folder: a stream called splunk-failed-x says nothing.
        #expect(FailureFamilies.kind(forKey: "x/splunk-failed-x-1-2020-03-01-00-00-00-c7cc019b-af51-412d-b641-b3b44ceb3d87") == nil)
        // Folder names are compared without case, the marker at the very end, or nearly there.
        #expect(FailureFamilies.kind(forKey: "Bucket/HTTP-Endpoint-Failed/f") == .httpEndpoint)
        #expect(FailureFamilies.kind(forKey: "a/ourSnowflake-failed/f") == .snowflake)
        #expect(FailureFamilies.kind(forKey: "a/snowflake-faile/f") == nil)
        #expect(FailureFamilies.kind(forKey: "a/iceberg-failed/processing-failed/f") == .processingFailed)
    }

    @Test func unknownKeysAreKept() throws {
        let line = #"{"rawData":"YQ==","errorCode":"Lambda.X","custom":{"a":[1,2]},"note":"hi"}"#
        let r = try #require(Harness.read(line).records.first)
        #expect(r.otherFields.map(\.key) == ["custom", "note"])
        #expect(r.otherFields[0].json == #"{"a":[1,2]}"#)
        #expect(r.otherFields[1].json == #""hi""#)
    }
}
