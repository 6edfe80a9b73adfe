import DeadLetterBytes
import DeadLetterQuery
/// `summarize --format json`: schema `deadletter.summary/1`, one group per line so diffs and `grep` work.
public enum SummaryJSON {
    public static func render(_ summary: Summary) -> String {
        let t = summary.totals
        var out = "{\n"
        out += "  \"schema\": \(JSONOutput.quote(Summary.schema)),\n"
        out += "  \"groupBy\": [\(summary.groupBy.map { JSONOutput.quote($0.name) }.joined(separator: ", "))],\n"
        if let top = summary.top { out += "  \"top\": \(top),\n" }
        if let mark = summary.shard {
            out += "  \"shard\": {\"index\": \(mark.shard.index), \"count\": \(mark.shard.count), \"listing\": \(JSONOutput.quote(mark.listing)), "
                + "\"units\": \(mark.units), \"bytes\": \(mark.bytes)},\n"
        }
        if !summary.missingShards.isEmpty {
            out += "  \"missingShards\": [" + summary.missingShards.map {
                "{\"listing\": \(JSONOutput.quote($0.listing)), \"count\": \($0.count), \"missing\": [\($0.missing.map(String.init).joined(separator: ", "))]}"
            }.joined(separator: ", ") + "],\n"
        }
        if summary.top != nil || summary.inexact {
            out += "  \"exactlyMergeable\": \(summary.exactlyMergeable),\n"
        }
        out += "  \"totals\": {"
        out += "\"files\": \(t.files), \"bytesRead\": \(t.bytesRead), \"records\": \(t.records), \"malformed\": \(t.malformed), "
        out += "\"payloadBytes\": \(t.payloadBytes), \"undecodable\": \(t.undecodable), \"logEvents\": \(t.logEvents), "
        out += "\"firstArrival\": \(JSONOutput.time(t.firstArrival)), \"lastArrival\": \(JSONOutput.time(t.lastArrival)), "
        out += "\"lines\": \(t.lines), \"blankLines\": \(t.blankLines), \"controlMessages\": \(t.controlMessages), "
        out += "\"payloadProblems\": \(t.payloadProblems), \"inputErrors\": \(t.inputErrors), \"repeats\": \(t.repeats), \"sqsMessages\": \(t.sqsMessages)"
        // Additive and only when there are any, so summaries of sound input stay as they were.
        if t.valuesOutOfRange > 0 { out += ", \"valuesOutOfRange\": \(t.valuesOutOfRange)" }
        if t.valuesNotNumbers > 0 { out += ", \"valuesNotNumbers\": \(t.valuesNotNumbers)" }
        if t.messageIdConflicts > 0 { out += ", \"messageIdConflicts\": \(t.messageIdConflicts)" }
        if t.trailingJunk > 0 { out += ", \"trailingJunk\": \(t.trailingJunk)" }
        out += "},\n"
        out += "  \"groups\": ["
        for (i, g) in summary.groups.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"key\": {"
            out += zip(summary.groupBy, g.key).map { "\(JSONOutput.quote($0.name)): \(JSONOutput.quote($1))" }.joined(separator: ", ")
            out += "}, \"count\": \(g.count), \"payloadBytes\": \(g.payloadBytes), "
            out += "\"firstArrival\": \(JSONOutput.time(g.arrival?.min)), \"lastArrival\": \(JSONOutput.time(g.arrival?.max)), "
            out += "\"attempts\": "
            out += g.attempts.map { "{\"min\": \($0.min), \"max\": \($0.max)}" } ?? "null"
            out += ", \"logEvents\": \(g.logEvents)}"
        }
        out += summary.groups.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"malformedSamples\": ["
        for (i, m) in summary.malformedSamples.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"file\": \(JSONOutput.quote(m.file)), \"line\": \(m.line), \"reason\": \(JSONOutput.quote(m.reason))"
            // A shard's samples say where their file is in the whole listing, for merge to order them by.
            if let position = summary.shard?.position(of: m.file) { out += ", \"unit\": \(position)" }
            out += m.trailing ? ", \"trailing\": true}" : "}"
        }
        out += summary.malformedSamples.isEmpty ? "]\n" : "\n  ]\n"
        out += "}\n"
        return out
    }
}
