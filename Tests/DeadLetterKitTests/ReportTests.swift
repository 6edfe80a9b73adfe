import Foundation
import Testing
import DeadLetterBackfill
import DeadLetterEngine
import DeadLetterRecords

/// Issue 20: `deadletter report` as one self-contained HTML page, read back the way a reader's browser shows
/// it: headless Chromium loads it from disk (scripts/report-check.py), and what the DOM, the console, the
/// network log and the screenshot hold is compared with `summarize --format json` on the same input.
@Suite(.serialized) struct ReportTests {
    /// What report-check.py saw.
    static func check(_ page: URL, in dir: URL) throws -> [String: Any] {
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/report-check.py", page.path, dir.path])
        #expect(status == 0, "\(output)")
        return (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]) ?? [:]
    }

    static func summary(_ arguments: [String]) throws -> [String: Any] {
        let run = try CLI.run(["summarize"] + arguments + ["--format", "json", "-q"])
        return try run.json()
    }

    /// The groups of a summary as `[key, count]`, largest first, in the order the page lists them.
    static func groups(_ summary: [String: Any], _ field: String) -> [[String]] {
        (summary["groups"] as? [[String: Any]] ?? []).map { g in
            [(g["key"] as? [String: String])?[field] ?? "?", "\(g["count"] as? Int ?? -1)"]
        }.sorted { $0[1] != $1[1] ? Int($0[1])! > Int($1[1])! : $0[0] < $1[0] }
            .map { [Self.shownEscaped($0[0]), $0[1]] }
    }

    /// A value as the page shows it: line breaks and tabs, other controls and bidi marks as visible escapes.
    static func shownEscaped(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0..<0x20, 0x7F..<0xA0: out += String(format: "\\x%02X", scalar.value)
            case 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: out += String(format: "\\u{%X}", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    @Test func theSamplesReportRendersCleanlyAndEqualsSummarize() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        let run = try CLI.run(["report", "samples/", "--out", page.path, "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let seen = try Self.check(page, in: dir)
        #expect((seen["console"] as? [String])?.isEmpty == true, "\(seen["console"] ?? "")")
        #expect((seen["pageRequests"] as? [String])?.isEmpty == true)
        #expect((seen["events"] as? [String])?.isEmpty == true && (seen["links"] as? [String])?.isEmpty == true)
        let png = try Data(contentsOf: dir.appendingPathComponent("page.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)

        // The totals are summarize's.
        let whole = try Self.summary(["samples/"])
        let totals = whole["totals"] as? [String: Any] ?? [:]
        let shown = seen["totals"] as? [String: String] ?? [:]
        for name in ["records", "malformed", "undecodable", "payloadBytes", "files"] {
            #expect(shown[name] == "\(totals[name] as? Int ?? -1)", "\(name)")
        }
        #expect(shown["firstArrival"] == totals["firstArrival"] as? String && shown["lastArrival"] == totals["lastArrival"] as? String)

        // Each table is summarize's groups by that field (the first 30).
        let tables = seen["tables"] as? [String: [[Any]]] ?? [:]
        for (table, field) in [("codes", "errorCode"), ("kinds", "kind"), ("streams", "stream"), ("messages", "message")] {
            let expected = Self.groups(try Self.summary(["samples/", "--by", field]), field).prefix(30)
            let rows = (tables[table] ?? []).map { ["\($0[0])", "\($0[1])"] }
            #expect(rows == Array(expected), "\(table)")
        }
        // The destinations: OpenSearch indexes and Lambda functions as summarize counts them.
        let indexes = Self.groups(try Self.summary(["samples/", "--by", "index", "--where", "index!=(none)"]), "index")
        #expect((tables["indexes"] ?? []).map { ["\($0[0])", "\($0[1])"] } == indexes)
        // The agent logs among the samples give findings.
        #expect(tables["agent"] != nil)

        // One bar per non-empty hour, its count summarize's, its height proportional to it.
        let chart = seen["chart"] as? [String: Any] ?? [:]
        #expect(chart["unit"] as? String == "hour")
        let bars = chart["bars"] as? [[Any]] ?? []
        var hours: [String: Int] = [:]
        for g in try Self.summary(["samples/", "--by", "hour"])["groups"] as? [[String: Any]] ?? [] {
            guard let hour = (g["key"] as? [String: String])?["hour"], hour != "(none)" else { continue }
            hours[hour + ":00:00.000Z"] = g["count"] as? Int
        }
        #expect(bars.count == hours.count && bars.count > 10)
        let largest = Double(chart["largest"] as? Int ?? 1), plot = chart["plotHeight"] as? Double ?? 0
        #expect(Int(largest) == hours.values.max())
        for bar in bars {
            let start = bar[0] as? String ?? "", count = bar[1] as? Int ?? -1, height = bar[2] as? Double ?? -1
            #expect(hours[start] == count, "\(start)")
            #expect(abs(height - Double(count) / largest * plot) < 0.1, "\(start): \(height)")
        }
    }

    /// "Putting it back": the page's own `backfill` commands, run as printed (with `--dry-run`), write what the
    /// page says each target can take and reject: each command on a line of its own, so they paste.
    @Test func putBackCommandsDoWhatThePageSays() throws {
        let page = try CLI.run(["report", "samples/firehose/", "--out", "-", "-q"]).stdout
        func unescape(_ s: String) -> String {
            s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        }
        let counts = try NSRegularExpression(pattern: #"data-target="([a-z-]+)" data-sendable="(\d+)" data-rejected="(\d+)""#)
        var shown: [String: (Int, Int)] = [:]
        for m in counts.matches(in: page, range: NSRange(page.startIndex..., in: page)) {
            let field = { (i: Int) in String(page[Range(m.range(at: i), in: page)!]) }
            shown[field(1)] = (Int(field(2))!, Int(field(3))!)
        }
        #expect(shown.count >= 5)
        let blocks = try NSRegularExpression(pattern: #"<pre data-commands="([a-z-]+)">(.*?)</pre>"#, options: [.dotMatchesLineSeparators])
        var checked = 0
        for m in blocks.matches(in: page, range: NSRange(page.startIndex..., in: page)) {
            let target = String(page[Range(m.range(at: 1), in: page)!])
            let lines = unescape(String(page[Range(m.range(at: 2), in: page)!]).replacingOccurrences(of: "<code>", with: "")
                .replacingOccurrences(of: "</code>", with: "")).split(separator: "\n").map(String.init)
            let backfills = lines.filter { $0.hasPrefix("deadletter backfill ") }
            #expect(!backfills.isEmpty && lines.count >= backfills.count)
            var written = 0, rejected = 0
            for command in backfills {
                let out = try ReadmeExampleTests.shell(command + " --dry-run -q", in: CLI.packageRoot)
                let numbers = out.split(separator: "\n").first { $0.hasPrefix(target + ":") }?.split(separator: " ") ?? []
                #expect(numbers.count > 5, "\(command): \(out)")
                guard numbers.count > 5 else { continue }
                written += Int(numbers[3].replacingOccurrences(of: ",", with: "")) ?? -1
                rejected += Int(numbers[5].replacingOccurrences(of: ",", with: "")) ?? -1
            }
            #expect(shown[target]?.0 == written && shown[target]?.1 == rejected, "\(target)")
            checked += 1
        }
        #expect(checked == shown.count)
    }

    /// An incident of a few minutes is drawn by the minute: a bar per minute with records, counted here from
    /// the records' arrival times.
    @Test func aShortIncidentIsDrawnByTheMinute() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = "samples/firehose/bucket/splunk-failed"
        let page = dir.appendingPathComponent("r.html")
        #expect(try CLI.run(["report", input, "--since", "2024-03-05", "--out", page.path, "-q"]).status == 0)
        let rows = try CLI.run(["records", input, "--since", "2024-03-05", "--fields", "arrival", "-q"]).stdout.split(separator: "\n")
        var minutes: [String: Int] = [:]
        for row in rows {
            guard let arrival = (try? JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: String])?["arrival"] else { continue }
            minutes[String(arrival.prefix(16)) + ":00.000Z", default: 0] += 1
        }
        #expect(minutes.values.reduce(0, +) >= 3)
        let chart = try Self.check(page, in: dir)["chart"] as? [String: Any] ?? [:]
        #expect(chart["unit"] as? String == "minute")
        let bars = (chart["bars"] as? [[Any]] ?? []).map { ($0[0] as? String ?? "", $0[1] as? Int ?? -1) }
        #expect(Dictionary(uniqueKeysWithValues: bars) == minutes)
    }

    /// The checker itself can see what it looks for: a page that logs to the console and asks for an image
    /// is caught on both counts (the image's address is 127.0.0.1's discard port: nothing answers there).
    @Test func theBrowserCheckSeesConsoleMessagesAndRequests() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("bad.html")
        try #"<!DOCTYPE html><html><head><title>t</title></head><body><img src="http://127.0.0.1:9/x.png"><script>console.log("ran")</script><p onclick="x()">p</p></body></html>"#
            .write(to: page, atomically: true, encoding: .utf8)
        let seen = try Self.check(page, in: dir)
        #expect((seen["console"] as? [String])?.contains { $0.contains("ran") } == true, "\(seen["console"] ?? "")")
        #expect((seen["pageRequests"] as? [String])?.contains("http://127.0.0.1:9/x.png") == true, "\(seen["pageRequests"] ?? "")")
        #expect((seen["events"] as? [String]) == ["onclick"] && (seen["links"] as? [String]) == ["http://127.0.0.1:9/x.png"])
    }

    /// Record content made to attack a page: markup, event handlers, `javascript:` URLs, the end of the style
    /// element, bidi overrides and very long lines, in error codes, messages, index names, document ids, payloads
    /// and a file name. None of it may become an element, an attribute or a request, and nothing may run.
    @Test func hostileRecordsInjectNothing() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let attacks = ["<script>document.title='pwned'</script>", "\"><img src=x onerror=\"document.title='pwned'\">",
                       "javascript:alert(1)", "</style><script>alert(1)</script>", "</title><svg onload=alert(1)>",
                       "a\u{202E}gnp.exe\u{202C}b", "<a href=\"http://127.0.0.1:9/leak\">x</a>", "<link rel=stylesheet href=//127.0.0.1:9/c>",
                       String(repeating: "<b>", count: 3_400)]
        var lines: [String] = []
        for (i, attack) in attacks.enumerated() {
            let payload = Data("{\"x\":\(Self.json(attack))}".utf8).base64EncodedString()
            var record: [String: Any] = ["attemptsMade": 1, "arrivalTimestamp": 1_709_649_067_220 + i * 60_000, "errorCode": attack,
                                         "errorMessage": attack, "esDocumentId": attack, "esIndexName": attack, "esTypeName": "", "rawData": payload]
            if i % 2 == 1 { record["errorCode"] = "400" }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        }
        let folder = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("AmazonOpenSearchService-failed-\"><img src=x onerror=alert(1)>.json"),
                                                       atomically: true, encoding: .utf8)
        let page = dir.appendingPathComponent("report.html")
        let run = try CLI.run(["report", folder.path, "--out", page.path, "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let seen = try Self.check(page, in: dir)
        #expect((seen["console"] as? [String])?.isEmpty == true, "\(seen["console"] ?? "")")
        #expect((seen["pageRequests"] as? [String])?.isEmpty == true, "\(seen["pageRequests"] ?? "")")
        #expect((seen["events"] as? [String])?.isEmpty == true, "\(seen["events"] ?? "")")
        #expect((seen["links"] as? [String])?.isEmpty == true, "\(seen["links"] ?? "")")
        #expect(seen["title"] as? String == "deadletter report: \(attacks.count) failed records")
        // Only the elements the page is made of: none of the attacks' (script, img, a, link, b, svg's onload).
        let allowed: Set<String> = ["html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "section", "dl", "div", "dt",
                                    "dd", "figure", "svg", "line", "text", "g", "rect", "figcaption", "ul", "li", "table", "thead", "tr", "th",
                                    "tbody", "td", "path", "code", "pre", "footer"]
        let tags = Set((seen["tags"] as? [String: Int] ?? [:]).keys)
        #expect(tags.isSubset(of: allowed), "\(tags.subtracting(allowed))")
        #expect((seen["tags"] as? [String: Int])?["style"] == 1 && (seen["tags"] as? [String: Int])?["title"] ?? 0 >= 1)
        // The attacks are there as text: escaped, the bidi override shown as an escape, not applied.
        let dom = try String(contentsOf: dir.appendingPathComponent("dom.html"), encoding: .utf8)
        #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;") || dom.contains("&lt;script&gt;document.title=&#39;pwned&#39;"))
        #expect(!dom.contains("\u{202E}") && dom.contains("\\u{202E}"))
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.utf8.count < 2_000_000)
    }

    static func json(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: []), as: UTF8.self).dropFirst().dropLast().description
    }

    /// `--out -` writes the page to standard output; a file is replaced whole.
    @Test func thePageGoesToStandardOutputOrAFileWhole() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stdout = try CLI.run(["report", "samples/firehose", "--out", "-", "-q"])
        #expect(stdout.status == 0 && stdout.stdout.hasPrefix("<!DOCTYPE html>") && stdout.stdout.hasSuffix("</html>\n"))
        let page = dir.appendingPathComponent("r.html")
        try "old".write(to: page, atomically: true, encoding: .utf8)
        let file = try CLI.run(["report", "samples/firehose", "--out", page.path])
        #expect(file.status == 0)
        #expect(try String(contentsOf: page, encoding: .utf8) == stdout.stdout)
        #expect(file.stderr.contains("report written to \(page.path)"))
        // The Content-Security-Policy names the stylesheet by its hash: worked out here with the system's tools.
        let style = stdout.stdout.components(separatedBy: "<style>")[1].components(separatedBy: "</style>")[0]
        let styleFile = dir.appendingPathComponent("style.css")
        try style.write(to: styleFile, atomically: true, encoding: .utf8)
        let (status, hash) = try CLI.capture("/bin/sh", ["-c", "openssl dgst -sha256 -binary '\(styleFile.path)' | base64"])
        #expect(status == 0)
        // The policy is an attribute value: its quotes are written as &#39;.
        let text = stdout.stdout.replacingOccurrences(of: "&#39;", with: "'")
        #expect(text.contains("style-src 'sha256-\(hash.trimmingCharacters(in: .whitespacesAndNewlines))'"))
        #expect(text.contains("script-src 'none'") && text.contains("default-src 'none'"))
    }
}

/// The report asks every target `rejection(for:)`, which some targets answer without making the items, and
/// reads payloads as the report does (bytes, no log events): on every record of the samples and the golden
/// corpus, it must say what `items(for:)` says when read as `backfill` reads for that target, reason included.
@Suite struct RejectionAgreementTests {
    static func verdicts(_ options: DeadLetterEngine.InputOptions, _ verdict: @escaping @Sendable (FailureRecord) -> String) throws -> [String: String] {
        let run = DeadLetterEngine.InputRun(options: options, diagnostics: .capturing())
        var found: [String: String] = [:]
        _ = try run.run(prepare: { record in ("\(record.file.path):\(record.line)", verdict(record)) }) { event in
            if case .record(let pair) = event { found[pair.0] = pair.1 }
            return true
        }
        return found
    }

    @Test(arguments: DeadLetterBackfill.BackfillTargetName.allCases, [false, true])
    func rejectionSaysWhatItemsSay(_ name: DeadLetterBackfill.BackfillTargetName, wrapText: Bool) throws {
        var settings = DeadLetterBackfill.BackfillTargetSettings()
        settings.stream = "s"
        settings.table = "t"
        settings.iamRole = "arn:aws:iam::1:role/r"
        if wrapText { settings.wrapText = "message" }
        let target = try settings.makeTarget(name)
        var options = DeadLetterEngine.InputOptions()
        options.paths = [CLI.packageRoot.appendingPathComponent("samples").path,
                         CLI.packageRoot.appendingPathComponent("Tests/DeadLetterKitTests/Fixtures/golden/corpus").path]
        options.read.payloadNeeds = target.payloadNeeds
        let fromItems = try Self.verdicts(options) { record in
            if case .failure(let why) = target.items(for: record) { return why.code + ": " + why.reason }
            return ""
        }
        options.read.payloadNeeds = PayloadNeeds(bytes: true)
        let fromRejection = try Self.verdicts(options) { record in target.rejection(for: record).map { $0.code + ": " + $0.reason } ?? "" }
        #expect(fromItems.count > 500 && fromItems.count == fromRejection.count)
        let disagreements = fromItems.filter { fromRejection[$0.key] != $0.value }.map { "\($0.key): items \($0.value), rejection \(fromRejection[$0.key] ?? "-")" }
        #expect(disagreements.isEmpty, "\(disagreements.sorted().prefix(5))")
        // Both answers occur, so the agreement is about something.
        let rejected = fromItems.values.filter { !$0.isEmpty }.count
        #expect(rejected > 0 && rejected < fromItems.count, "\(name): \(rejected) of \(fromItems.count)")
    }
}
