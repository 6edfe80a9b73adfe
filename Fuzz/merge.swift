// libFuzzer target: `merge` on a summary document made of the input — alone, after a fixed valid summary
// (so the adding paths run) and twice (so sums can overflow). Whatever merges must render, and the JSON
// written must merge again: a summary `merge` writes is a summary `merge` reads.

private let valid = Array("""
{
  "schema": "deadletter.summary/1",
  "groupBy": ["kind", "errorCode"],
  "totals": {"files": 2, "bytesRead": 900, "records": 3, "malformed": 1, "payloadBytes": 120, "undecodable": 0, "logEvents": 4, "firstArrival": "2024-03-05T14:02:11.408Z", "lastArrival": "2401-10-19T15:05:15.507Z", "lines": 5, "blankLines": 1, "controlMessages": 0, "payloadProblems": 1, "inputErrors": 0, "repeats": 0, "sqsMessages": 0},
  "groups": [
    {"key": {"kind": "processing-failed", "errorCode": "Lambda.FunctionError"}, "count": 2, "payloadBytes": 100, "firstArrival": "2024-03-05T14:02:11.408Z", "lastArrival": "2024-03-05T14:05:00.000Z", "attempts": {"min": 1, "max": 3}, "logEvents": 4},
    {"key": {"kind": "splunk", "errorCode": "Splunk.AckTimeout"}, "count": 1, "payloadBytes": 20, "firstArrival": "2401-10-19T15:05:15.507Z", "lastArrival": "2401-10-19T15:05:15.507Z", "attempts": null, "logEvents": 0}
  ],
  "malformedSamples": [
    {"file": "a/b", "line": 4, "reason": "not JSON"}
  ]
}
""".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMerge(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let fuzzed = SummaryMerge.Input(name: "fuzzed.json", bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    let fixed = SummaryMerge.Input(name: "valid.json", bytes: valid)
    for inputs in [[fuzzed], [fixed, fuzzed], [fuzzed, fuzzed]] {
        guard var result = try? SummaryMerge.merge(inputs) else { continue }
        let json = SummaryJSON.render(result.summary)
        _ = SummaryTable(width: 80).render(result.summary)
        _ = SummaryCSV.render(result.summary)
        guard (try? SummaryMerge.merge([SummaryMerge.Input(name: "again.json", bytes: Array(json.utf8))])) != nil else {
            fatalError("merge wrote a summary it does not read:\n\(json)")
        }
        // As `merge --top 1` folds every group but the first into (other).
        result.summary.keepTop(1)
        _ = SummaryTable(width: 80, wide: true).render(result.summary)
        _ = SummaryJSON.render(result.summary)
    }
    return 0
}
