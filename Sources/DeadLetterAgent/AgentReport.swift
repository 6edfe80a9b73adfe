import DeadLetterBytes
/// Renders `agent` results: JSON (`deadletter.agent/1`) or a table for people.
enum AgentReport {
    struct ExceptionCounts {
        var total: [String: Int] = [:]
        var byStream: [String: (String?, String?, [String: Int])] = [:]
    }

    static func counts(_ events: [AgentEvent]) -> ExceptionCounts {
        var c = ExceptionCounts()
        for e in events {
            guard case .exception(let name) = e.kind else { continue }
            c.total[name, default: 0] += 1
            let key = (e.logGroup ?? "") + "\u{0}" + (e.logStream ?? "")
            var entry = c.byStream[key] ?? (e.logGroup, e.logStream, [:])
            entry.2[name, default: 0] += 1
            c.byStream[key] = entry
        }
        return c
    }

    static func countsJSON(_ d: [String: Int]) -> String {
        "{" + d.sorted { $0.key < $1.key }.map { "\(JSONOutput.quote($0.key)): \($0.value)" }.joined(separator: ", ") + "}"
    }

    static func json(inputs: [AgentInputSummary], events: [AgentEvent], findings: [AgentFinding]) -> String {
        var out = "{\n  \"schema\": \(JSONOutput.quote(AgentJob.schema)),\n  \"inputs\": ["
        for (i, s) in inputs.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"file\": \(JSONOutput.quote(s.file)), \"form\": \(JSONOutput.quote(s.form.rawValue)), \"lines\": \(s.lines), "
            out += "\"blankLines\": \(s.blankLines), \"messages\": \(s.messages), \"continuationLines\": \(s.continuationLines), "
            out += "\"unknownLines\": \(s.unknownLines), \"sources\": \(s.sources), \"error\": \(JSONOutput.quoteOrNull(s.error))}"
        }
        out += inputs.isEmpty ? "],\n" : "\n  ],\n"
        let c = counts(events)
        out += "  \"exceptions\": {\"total\": \(countsJSON(c.total)), \"byStream\": ["
        for (i, entry) in c.byStream.sorted(by: { $0.key < $1.key }).enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"logGroup\": \(JSONOutput.quoteOrNull(entry.value.0)), \"logStream\": \(JSONOutput.quoteOrNull(entry.value.1)), \"counts\": \(countsJSON(entry.value.2))}"
        }
        out += c.byStream.isEmpty ? "]},\n" : "\n  ]},\n"
        out += "  \"findings\": ["
        for (i, f) in findings.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"code\": \(JSONOutput.quote(f.code)), \"severity\": \(JSONOutput.quote(f.severity.rawValue)), \"message\": \(JSONOutput.quote(f.message)), "
            out += "\"sources\": [\(f.sources.map(JSONOutput.quote).joined(separator: ", "))], \"logGroup\": \(JSONOutput.quoteOrNull(f.logGroup)), "
            out += "\"logStream\": \(JSONOutput.quoteOrNull(f.logStream)), \"count\": \(f.count.map(String.init) ?? "null"), "
            out += "\"first\": \(JSONOutput.time(f.first)), \"last\": \(JSONOutput.time(f.last))}"
        }
        out += findings.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    static func table(inputs: [AgentInputSummary], events: [AgentEvent], findings: [AgentFinding]) -> String {
        var out = ""
        for s in inputs {
            var line = "\(TerminalText.escape(s.file)): \(s.form.rawValue), \(HumanNumber.grouped(s.lines)) lines"
            if s.form == .awslogsLog || s.form == .unifiedAgentLog {
                line += " (\(HumanNumber.grouped(s.messages)) messages, \(HumanNumber.grouped(s.continuationLines)) continuation, \(HumanNumber.grouped(s.unknownLines)) unknown)"
            } else if s.form == .unknown {
                line += " (\(HumanNumber.grouped(s.unknownLines)) unknown)"
            } else {
                line += " (\(s.sources) sources)"
            }
            out += line + "\n"
        }
        let c = counts(events)
        out += "\n"
        if c.total.isEmpty {
            out += "no exceptions logged\n"
        } else {
            out += "EXCEPTION                               COUNT  LOG GROUP / STREAM\n"
            for entry in c.byStream.sorted(by: { $0.key < $1.key }) {
                let target = entry.value.0.map { "\($0) / \(entry.value.1 ?? "?")" } ?? "(not named in the log)"
                for (name, n) in entry.value.2.sorted(by: { $0.key < $1.key }) {
                    out += TerminalText.pad(name, to: 38) + TerminalText.pad(HumanNumber.grouped(n), to: 7, right: true) + "  " + TerminalText.escape(target) + "\n"
                }
            }
        }
        out += "\n"
        if findings.isEmpty { return out + "no findings\n" }
        for f in findings {
            out += "\(f.severity.rawValue.uppercased()) \(f.code): \(TerminalText.escape(f.message))\n"
            if let first = f.first, let last = f.last { out += "  from \(UTCTime.rfc3339(first)) to \(UTCTime.rfc3339(last))\n" }
            for s in f.sources { out += "  - \(TerminalText.escape(s))\n" }
        }
        return out
    }
}
