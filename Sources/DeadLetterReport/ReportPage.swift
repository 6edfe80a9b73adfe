import DeadLetterAgent
import DeadLetterBackfill
import DeadLetterBytes
import DeadLetterQuery
import DeadLetterSupport

/// The report as one HTML page: inline CSS and SVG, no script, nothing fetched. A Content-Security-Policy
/// allows the page's own stylesheet (by its hash) and nothing else: no script runs, whatever a record holds,
/// and no request leaves the page. Numbers carry `data-` attributes so that a test (or a script) reads them
/// back without parsing prose.
enum ReportPage {
    static let style = """
    :root{--fg:#1b1f24;--muted:#5a6472;--bg:#fff;--card:#f4f6f8;--line:#d8dde3;--accent:#b3261e;
    --s0:#c0392b;--s1:#2e86de;--s2:#e67e22;--s3:#16a085;--s4:#8e44ad;--s5:#d4ac0d;--s6:#7f8c8d}
    @media (prefers-color-scheme:dark){:root{--fg:#e6e9ed;--muted:#9aa4b1;--bg:#111418;--card:#1b2027;--line:#303842;
    --accent:#ff8a80;--s0:#ff6b5b;--s1:#5dade2;--s2:#f5a04a;--s3:#48c9b0;--s4:#bb8fce;--s5:#f4d03f;--s6:#aab7b8}}
    *{box-sizing:border-box}
    body{margin:0 auto;max-width:1100px;padding:16px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
    h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
    h3{font-size:1em;margin:1em 0 .3em}
    .muted,.inputs,figcaption{color:var(--muted)}.headline{font-size:1.15em;font-weight:600;color:var(--accent)}
    dl.cards{display:flex;flex-wrap:wrap;gap:8px;margin:0}dl.cards div{background:var(--card);border-radius:6px;padding:8px 12px;min-width:9em}
    dl.cards dt{font-size:.8em;color:var(--muted)}dl.cards dd{margin:0;font-size:1.25em;font-weight:600;font-variant-numeric:tabular-nums}
    .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
    th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
    th{font-size:.85em;color:var(--muted);font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}
    td.k{overflow-wrap:anywhere;max-width:46em}code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
    pre{background:var(--card);padding:8px 10px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}
    svg{display:block;max-width:100%;height:auto}svg text{fill:var(--muted);font:11px system-ui,sans-serif}
    .axis{stroke:var(--line)}.gap{stroke:var(--muted);stroke-dasharray:3 3}.spark{fill:var(--s1)}
    .s0{fill:var(--s0)}.s1{fill:var(--s1)}.s2{fill:var(--s2)}.s3{fill:var(--s3)}.s4{fill:var(--s4)}.s5{fill:var(--s5)}.s6{fill:var(--s6)}
    ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;margin:.4em 0}
    ul.legend svg{display:inline;vertical-align:middle;margin-right:4px}
    .sample{border-left:3px solid var(--line);padding-left:10px;margin:.6em 0}
    footer{margin-top:2em;color:var(--muted);font-size:.85em}
    @media (max-width:600px){body{padding:8px;font-size:14px}th,td{padding:3px 4px}.trend{display:none}}
    @media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}tr,.sample,figure{break-inside:avoid}
    .scroll{overflow:visible}@page{margin:12mm}}
    """

    static func render(_ model: ReportModel) -> String {
        let styleHash = Base64.encode(Digest.sha256(Array(style.utf8)))
        var h = HTMLWriter()
        h.markup("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        h.empty("meta", ["http-equiv": "Content-Security-Policy",
                         "content": "default-src 'none'; style-src 'sha256-\(styleHash)'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'"])
        h.markup("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\">")
        h.element("title", text: "deadletter report: \(HumanNumber.grouped(model.summary.totals.records)) failed records")
        h.markup("<style>")
        // The stylesheet is this program's own text, hashed above for the policy: written as it is.
        var page = h.html + style + "</style></head><body>"
        var b = HTMLWriter()
        header(model, &b)
        totals(model, &b)
        chart(model, &b)
        tables(model, &b)
        destinations(model, &b)
        putBack(model, &b)
        agent(model, &b)
        malformed(model, &b)
        b.element("footer") {
            $0.text("Made by deadletter report. Every number is that of `deadletter summarize --format json` on the same input and filters; times are UTC.")
        }
        page += b.html
        page += "</body></html>\n"
        return page
    }

    static func when(_ ms: Int64?) -> String { ms.map { UTCTime.minute($0, withYear: true) } ?? "–" }

    static func header(_ model: ReportModel, _ h: inout HTMLWriter) {
        h.element("header") { h in
            h.element("h1", text: "Failed records")
            h.element("p", ["class": "inputs"], text: "From " + (model.inputs.isEmpty ? "standard input" : model.inputs.joined(separator: ", ")))
            if let headline = model.headline { h.element("p", ["class": "headline", "data-headline": "1"], text: headline) }
        }
    }

    static func totals(_ model: ReportModel, _ h: inout HTMLWriter) {
        let t = model.summary.totals
        let kinds = model.kinds.map(\.key)
        let streams = model.streams.map(\.key).filter { $0 != RecordField.none }
        h.element("section", ["id": "totals"]) { h in
            h.element("dl", ["class": "cards"]) { h in
                func card(_ label: String, _ name: String, _ value: String, shown: String) {
                    h.element("div") { h in
                        h.element("dt", text: label)
                        h.element("dd", ["data-total": name, "data-value": value], text: shown)
                    }
                }
                card("records", "records", "\(t.records)", shown: HumanNumber.grouped(t.records))
                card("malformed lines", "malformed", "\(t.malformed)", shown: HumanNumber.grouped(t.malformed))
                card("undecodable payloads", "undecodable", "\(t.undecodable)", shown: HumanNumber.grouped(t.undecodable))
                card("payload decoded", "payloadBytes", "\(t.payloadBytes)", shown: HumanNumber.bytes(t.payloadBytes))
                card("first arrival (UTC)", "firstArrival", t.firstArrival.map(UTCTime.rfc3339) ?? "", shown: when(t.firstArrival))
                card("last arrival (UTC)", "lastArrival", t.lastArrival.map(UTCTime.rfc3339) ?? "", shown: when(t.lastArrival))
                card("files read", "files", "\(t.files)", shown: HumanNumber.grouped(t.files))
            }
            h.element("p", ["class": "muted"]) { h in
                h.text("\(kinds.count) kind\(kinds.count == 1 ? "" : "s"): " + kinds.joined(separator: ", ") + ". ")
                h.text("\(streams.count) delivery stream\(streams.count == 1 ? "" : "s")"
                    + (streams.isEmpty ? "." : ": " + streams.prefix(12).joined(separator: ", ") + (streams.count > 12 ? ", …" : "") + "."))
            }
        }
    }

    /// Bars along time, one per non-empty bucket, stacked by error code; empty buckets are empty room and
    /// long runs of them one dashed line with their length.
    static func chart(_ model: ReportModel, _ h: inout HTMLWriter) {
        h.element("section", ["id": "time"]) { h in
            h.element("h2", text: "Failures over time")
            guard !model.bars.isEmpty else {
                h.element("p", ["class": "muted"], text: model.summary.totals.records == 0 ? "No records." : "No record has an arrival time.")
                return
            }
            let n = model.slots.count
            let left = 44.0, right = 8.0, top = 8.0, plot = 200.0, bottom = 40.0
            let width = max(720.0, min(1080.0, Double(n) * 24 + left + right))
            let slot = (width - left - right) / Double(n)
            let barWidth = max(1.0, slot * 0.8)
            let largest = max(model.bars.map(\.total).max() ?? 1, 1)
            func f(_ v: Double) -> String { String(Double(Int((v * 100).rounded())) / 100) }
            h.element("figure", ["class": "scroll"]) { h in
                h.element("svg", ["xmlns": "http://www.w3.org/2000/svg", "viewBox": "0 0 \(f(width)) \(f(top + plot + bottom))",
                                  "width": f(width), "height": f(top + plot + bottom), "role": "img",
                                  "data-chart": "time", "data-unit": model.unit.name, "data-largest": "\(largest)",
                                  "data-plot-height": f(plot)]) { h in
                    h.element("title", text: "Failed records per \(model.unit.name), UTC")
                    h.empty("line", ["class": "axis", "x1": f(left), "y1": f(top + plot), "x2": f(width - right), "y2": f(top + plot)])
                    h.empty("line", ["class": "axis", "x1": f(left), "y1": f(top), "x2": f(left), "y2": f(top + plot)])
                    h.element("text", ["x": f(left - 4), "y": f(top + 10), "text-anchor": "end"], text: HumanNumber.grouped(largest))
                    h.element("text", ["x": f(left - 4), "y": f(top + plot), "text-anchor": "end"], text: "0")
                    // A time label is about 60 pixels wide: one every so many slots so that none overlap.
                    let labelEvery = max(1, Int((64 / slot).rounded(.up)))
                    for (i, s) in model.slots.enumerated() {
                        let x = left + Double(i) * slot
                        switch s {
                        case .bucket(let start, let index):
                            if let index {
                                let bar = model.bars[index]
                                h.element("g", ["class": "bar", "data-start": UTCTime.rfc3339(start), "data-count": "\(bar.total)"]) { h in
                                    h.element("title", text: "\(label(start, model.unit)) UTC: \(HumanNumber.grouped(bar.total)) records")
                                    var y = top + plot
                                    for (c, count) in bar.byCode.enumerated() where count > 0 {
                                        let height = Double(count) / Double(largest) * plot
                                        y -= height
                                        h.empty("rect", ["class": "s\(c)", "x": f(x + (slot - barWidth) / 2), "y": f(y), "width": f(barWidth),
                                                         "height": f(height), "data-count": "\(count)"])
                                    }
                                }
                            }
                            if i % labelEvery == 0 {
                                h.element("text", ["x": f(x + slot / 2), "y": f(top + plot + 14), "text-anchor": "middle"], text: tick(start, model.unit))
                            }
                        case .gap(let start, let buckets):
                            h.element("g", ["class": "gap-run", "data-start": UTCTime.rfc3339(start), "data-buckets": "\(buckets)"]) { h in
                                h.element("title", text: "\(HumanNumber.grouped(buckets)) \(model.unit.name)s without failures from \(label(start, model.unit)) UTC")
                                h.empty("line", ["class": "gap", "x1": f(x + slot / 2), "y1": f(top), "x2": f(x + slot / 2), "y2": f(top + plot)])
                                h.element("text", ["x": f(x + slot / 2), "y": f(top + plot + 28), "text-anchor": "middle"], text: "+\(short(buckets, model.unit))")
                            }
                        }
                    }
                }
                h.element("figcaption") { h in
                    h.text("Records per \(model.unit.name) (UTC), stacked by error code. A dashed line is a stretch without failures, its length below it.")
                    if model.undated > 0 { h.text(" \(HumanNumber.grouped(model.undated)) records without an arrival time are not on the chart.") }
                }
            }
            h.element("ul", ["class": "legend"]) { h in
                for (c, code) in (model.chartCodes + (model.codes.count > model.chartCodes.count ? ["other codes"] : [])).enumerated() {
                    h.element("li") { h in
                        h.element("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": "10", "height": "10", "viewBox": "0 0 10 10"]) { h in
                            h.empty("rect", ["class": "s\(c)", "width": "10", "height": "10"])
                        }
                        h.text(code)
                    }
                }
            }
        }
    }

    static func label(_ start: Int64, _ unit: Timeline.Unit) -> String {
        switch unit {
        case .minute: return UTCTime.minute(start, withYear: true)
        case .hour: return UTCTime.hour(start).replacingOccurrences(of: "T", with: " ") + "h"
        case .day: return UTCTime.day(start)
        }
    }

    static func tick(_ start: Int64, _ unit: Timeline.Unit) -> String {
        switch unit {
        case .minute: return UTCTime.clock(start)
        // `03-05 14h`: the hour key without its year.
        case .hour: return UTCTime.hour(start).dropFirst(5).replacingOccurrences(of: "T", with: " ") + "h"
        case .day: return UTCTime.day(start)
        }
    }

    static func short(_ buckets: Int, _ unit: Timeline.Unit) -> String {
        switch unit {
        case .minute: return "\(HumanNumber.grouped(buckets)) min"
        case .hour: return buckets >= 48 ? "\(HumanNumber.grouped(buckets / 24)) d" : "\(buckets) h"
        case .day: return "\(HumanNumber.grouped(buckets)) d"
        }
    }

    /// At most this many rows per table; the rest are counted in a line below.
    static let tableRows = 30

    static func tables(_ model: ReportModel, _ h: inout HTMLWriter) {
        func table(_ id: String, _ title: String, _ column: String, _ rows: [ReportModel.Row]) {
            h.element("section", ["id": id]) { h in
                h.element("h2", text: title)
                dataTable(&h, id: id, headers: [(column, ""), ("records", "n"), ("share", "n"), ("payload", "n"), ("first (UTC)", "n"),
                                                 ("last (UTC)", "n"), ("over time", "trend")]) { h in
                            for row in rows.prefix(tableRows) {
                                h.element("tr", ["data-key": row.key]) { h in
                                    h.element("td", ["class": "k"], text: row.key)
                                    h.element("td", ["class": "n", "data-count": "\(row.group.count)"], text: HumanNumber.grouped(row.group.count))
                                    h.element("td", ["class": "n"], text: HumanNumber.percent(row.group.count, of: model.summary.totals.records))
                                    h.element("td", ["class": "n", "data-bytes": "\(row.group.payloadBytes)"], text: HumanNumber.bytes(row.group.payloadBytes))
                                    h.element("td", ["class": "n"], text: when(row.group.arrival?.min))
                                    h.element("td", ["class": "n"], text: when(row.group.arrival?.max))
                                    h.element("td", ["class": "trend"]) { sparkline(row.perSlot, model, &$0) }
                                }
                            }
                }
                if rows.count > tableRows {
                    let rest = rows.dropFirst(tableRows).reduce(0) { $0 + $1.group.count }
                    h.element("p", ["class": "muted"], text: "\(rows.count - tableRows) more, with \(HumanNumber.grouped(rest)) records.")
                }
            }
        }
        table("codes", "Error codes", "error code", model.codes)
        table("messages", "Error messages", "message (numbers and ids as <*>)", model.messages)
        samples(model, &h)
        table("kinds", "Kinds", "kind", model.kinds)
        table("streams", "Delivery streams", "stream", model.streams)
    }

    /// A table that scrolls sideways on a narrow screen: its header cells (text and class), then the rows `body` writes.
    static func dataTable(_ h: inout HTMLWriter, id: String, headers: [(String, String)], _ body: (inout HTMLWriter) -> Void) {
        h.element("div", ["class": "scroll"]) { h in
            h.element("table", ["data-table": id]) { h in
                h.element("thead") { h in
                    h.element("tr") { h in
                        for (text, cls) in headers {
                            if cls.isEmpty { h.element("th", text: text) } else { h.element("th", ["class": cls], text: text) }
                        }
                    }
                }
                h.element("tbody") { body(&$0) }
            }
        }
    }

    /// A small line of bars: the row's records per chart bucket, at most 60 bars (neighbouring buckets added).
    static func sparkline(_ perSlot: [Int], _ model: ReportModel, _ h: inout HTMLWriter) {
        guard !perSlot.isEmpty else { return }
        let points = min(60, perSlot.count)
        var values = Array(repeating: 0, count: points)
        for (i, v) in perSlot.enumerated() { values[i * points / perSlot.count] += v }
        let largest = max(values.max() ?? 1, 1)
        let w = 120.0, height = 20.0, step = w / Double(points)
        var path = ""
        for (i, v) in values.enumerated() where v > 0 {
            let bar = max(1, Double(v) / Double(largest) * height)
            let x = Double(i) * step
            path += "M\(Int(x * 10) / 10) \(Int((height - bar) * 10) / 10)h\(max(1, Int(step * 8) / 10))v\(Int(bar * 10) / 10)h-\(max(1, Int(step * 8) / 10))z"
        }
        h.element("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": "120", "height": "20", "viewBox": "0 0 120 20", "aria-hidden": "true"]) { h in
            h.empty("path", ["class": "spark", "d": path])
        }
    }

    static func samples(_ model: ReportModel, _ h: inout HTMLWriter) {
        h.element("section", ["id": "samples"]) { h in
            h.element("h2", text: "Examples of the most frequent messages")
            for row in model.messages.prefix(5) {
                h.element("h3", text: row.key)
                if model.samples[row.key] == nil {
                    h.element("p", ["class": "muted"], text: "No example kept: it was first met after \(HumanNumber.grouped(ReportBuilder.maxSampledMessages)) other messages.")
                }
                for sample in model.samples[row.key] ?? [] {
                    h.element("div", ["class": "sample"]) { h in
                        h.element("p", ["class": "muted"]) { $0.element("code", text: "\(sample.file):\(sample.line)") }
                        if let message = sample.errorMessage { h.element("pre", ["data-field": "errorMessage"], text: message) }
                        if !sample.excerpt.isEmpty { h.element("pre", ["data-field": "payload"], text: sample.excerpt) }
                    }
                }
            }
        }
    }

    static func destinations(_ model: ReportModel, _ h: inout HTMLWriter) {
        let any = !model.indexes.isEmpty || !model.lambdas.isEmpty || !model.logGroups.isEmpty || !model.routes.isEmpty || model.possiblyDelivered > 0
        guard any else { return }
        h.element("section", ["id": "destinations"]) { h in
            h.element("h2", text: "Destinations")
            if model.possiblyDelivered > 0 {
                h.element("p", ["data-possibly-delivered": "\(model.possiblyDelivered)"],
                          text: "Splunk: \(HumanNumber.grouped(model.possiblyDelivered)) records failed with Splunk.AckTimeout: they may already be indexed, and sending them again can index them twice.")
            }
            func facts(_ id: String, _ title: String, _ column: String, _ list: [ReportModel.Fact], events: Bool = false, examples: String? = nil) {
                guard !list.isEmpty else { return }
                h.element("h3", text: title)
                var headers = [(column, ""), ("records", "n")]
                if events { headers.append(("log events", "n")) }
                if let examples { headers.append((examples, "")) }
                dataTable(&h, id: id, headers: headers) { h in
                            for fact in list.prefix(20) {
                                h.element("tr", ["data-key": fact.value]) { h in
                                    h.element("td", ["class": "k"], text: fact.value)
                                    h.element("td", ["class": "n", "data-count": "\(fact.records)"], text: HumanNumber.grouped(fact.records))
                                    if events { h.element("td", ["class": "n"], text: HumanNumber.grouped(fact.events)) }
                                    if examples != nil { h.element("td", ["class": "k"]) { $0.element("code", text: fact.examples.joined(separator: ", ")) } }
                                }
                            }
                }
                if list.count > 20 { h.element("p", ["class": "muted"], text: "\(list.count - 20) more.") }
            }
            facts("indexes", "OpenSearch indexes", "index", model.indexes, examples: "document ids (first few)")
            facts("lambdas", "Lambda functions", "function ARN", model.lambdas)
            facts("logGroups", "CloudWatch Logs groups", "log group", model.logGroups, events: true)
            facts("routes", "EventBridge rules and targets", "rule → target", model.routes)
        }
    }

    static func putBack(_ model: ReportModel, _ h: inout HTMLWriter) {
        guard !model.putBack.isEmpty else { return }
        h.element("section", ["id": "putback"]) { h in
            h.element("h2", text: "Putting it back")
            h.element("p", ["class": "muted"], text: "What each target would take, as `deadletter backfill` counts it, and the commands that write and send the files. Sending is journaled: a send that stops is run again and goes on.")
            for item in model.putBack {
                h.element("h3", text: item.target.rawValue + " (" + item.kinds.map { "\($0.kind) \(HumanNumber.grouped($0.records))" }.joined(separator: ", ") + ")")
                h.element("p", ["data-target": item.target.rawValue, "data-sendable": "\(item.sendable)",
                                "data-rejected": "\(item.rejected.reduce(0) { $0 + $1.count })"]) { h in
                    h.text("\(HumanNumber.grouped(item.sendable)) can be sent")
                    if item.rejected.isEmpty {
                        h.text("; none would be rejected.")
                    } else {
                        h.text("; \(HumanNumber.grouped(item.rejected.reduce(0) { $0 + $1.count })) would be rejected:")
                    }
                }
                if !item.rejected.isEmpty {
                    h.element("ul") { h in
                        for r in item.rejected {
                            h.element("li") { h in
                                h.element("code", text: r.code)
                                h.text(" \(HumanNumber.grouped(r.count)): \(r.reason)")
                            }
                        }
                    }
                }
                // One line each: a line break inside a text would be shown as `\n`, and the commands must paste.
                h.element("pre", ["data-commands": item.target.rawValue]) { h in
                    for (i, command) in item.commands.enumerated() {
                        if i > 0 { h.markup("\n") }
                        h.element("code", text: command)
                    }
                }
            }
        }
    }

    static func agent(_ model: ReportModel, _ h: inout HTMLWriter) {
        guard let agent = model.agent, !agent.findings.isEmpty else { return }
        h.element("section", ["id": "agent"]) { h in
            h.element("h2", text: "CloudWatch Logs agents")
            h.element("p", ["class": "muted"], text: "Findings in the agent logs and configs among the inputs (as `deadletter agent` gives them).")
            h.element("div", ["class": "scroll"]) { h in
                h.element("table", ["data-table": "agent"]) { h in
                    h.element("thead") { h in
                        h.element("tr") { h in
                            h.element("th", text: "finding")
                            h.element("th", text: "log group / stream")
                            h.element("th", ["class": "n"], text: "count")
                            h.element("th", text: "what it means")
                        }
                    }
                    h.element("tbody") { h in
                        for finding in agent.findings.prefix(50) {
                            h.element("tr", ["data-key": finding.code]) { h in
                                h.element("td") { $0.element("code", text: finding.code) }
                                h.element("td", ["class": "k"], text: [finding.logGroup, finding.logStream].compactMap { $0 }.joined(separator: " / "))
                                h.element("td", ["class": "n"], text: finding.count.map { HumanNumber.grouped($0) } ?? "")
                                h.element("td", text: finding.message)
                            }
                        }
                    }
                }
            }
        }
    }

    static func malformed(_ model: ReportModel, _ h: inout HTMLWriter) {
        let samples = model.summary.malformedSamples
        guard !samples.isEmpty else { return }
        h.element("section", ["id": "malformed"]) { h in
            h.element("h2", text: "Malformed input")
            h.element("p", ["class": "muted"],
                      text: "\(HumanNumber.grouped(model.summary.totals.malformed)) lines could not be read as failure records; the first \(samples.count):")
            h.element("ul") { h in
                for m in samples {
                    h.element("li") { h in
                        h.element("code", text: "\(m.file):\(m.line)")
                        h.text(" " + m.reason)
                    }
                }
            }
        }
    }
}
