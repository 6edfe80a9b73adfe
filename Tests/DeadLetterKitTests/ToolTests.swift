import Foundation
import Testing

/// The command-line experience: progress, completions, the man page, help.
@Suite(.serialized) struct ToolTests {
    @Test func progressAppearsOnATerminalThenIsErasedAndNeverWhenPiped() throws {
        let (dir, _) = try CLI.generateCorpus(records: 40_000, seed: 4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus").path
        let out = dir.appendingPathComponent("out.txt").path
        let tty = try CLI.underTerminal("'\(CLI.binary.path)' summarize -q '\(corpus)' --no-progress > /dev/null; echo first-done; '\(CLI.binary.path)' summarize '\(corpus)' 2>/dev/tty > '\(out)'")
        let parts = tty.components(separatedBy: "first-done")
        // --no-progress: nothing drawn.
        #expect(!parts[0].contains("files,"))
        // Drawn: carriage return, erase to end of line, the counters; and erased at the end.
        let drawn = parts.count > 1 ? parts[1] : ""
        #expect(drawn.contains("\r\u{1B}[Kdeadletter: "))
        #expect(drawn.contains(" records, "))
        #expect(drawn.contains("MB/s"))
        #expect(drawn.hasSuffix("\r\u{1B}[K") || drawn.contains("\r\u{1B}[Kdeadletter: warning") || drawn.contains("\u{1B}[K\r\n"))
        // The result itself never carries progress.
        #expect(!(try String(contentsOfFile: out, encoding: .utf8)).contains("\u{1B}[K"))
        // Piped stderr: no progress at all.
        let piped = try CLI.run(["summarize", corpus])
        #expect(!piped.stderr.contains("\u{1B}[K"))
        #expect(!piped.stderr.contains("files, "))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsOfferKindsFieldsTargetsAndFormats(shell: String) throws {
        let result = try CLI.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        for word in ["summarize", "records", "backfill", "merge", "agent", "splunk-hec", "eventbridge-dlq", "ndjson", "errorCode"] {
            #expect(result.stdout.contains(word), "\(shell) completion lacks \(word)")
        }
    }

    /// The rendered man page documents, in each subcommand's own section, every option that subcommand's
    /// --help lists, as a whole word; groff renders the page without a warning. groff is required
    /// (.ci/run installs groff-base): a page nobody rendered is not checked.
    @Test func manPageDocumentsEveryOptionOfEverySubcommandAndRendersWithoutWarnings() throws {
        let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/deadletter.1"), encoding: .utf8)
        for section in [".Sh NAME", ".Sh SYNOPSIS", ".Sh DESCRIPTION", ".Sh EXAMPLES", ".Sh EXIT STATUS", ".Sh ENVIRONMENT", ".Sh FILES"] {
            #expect(committed.contains(section), "man page lacks \(section)")
        }
        let groff = try CLI.capture("/bin/sh", ["-c", "command -v groff"])
        try #require(groff.status == 0, "groff is not installed: apt-get install groff-base (.ci/run does)")
        // Warnings at the default width and at the width the checks below read.
        let warnings = try CLI.capture("/bin/sh", ["-c", "groff -man -Tutf8 -ww -z man/deadletter.1 && groff -man -Tutf8 -ww -z -rLL=1000n -rHY=0 man/deadletter.1"])
        #expect(warnings.status == 0 && warnings.output.isEmpty, "groff: \(warnings.output)")
        // One line per paragraph and no hyphenation, so no option name is split; plain text, no overstrike.
        let rendered = try CLI.capture("/bin/sh", ["-c", "groff -man -Tutf8 -rLL=1000n -rHY=0 -P-cbou man/deadletter.1 2>/dev/null"])
        try #require(rendered.status == 0)
        let page = ManPage(rendered: rendered.output)
        let subcommands = try Self.subcommands()
        #expect(subcommands.count >= 5, "\(subcommands)")
        for command in subcommands {
            let found = page.section(of: command, among: subcommands + ["help"])
            let section = try #require(found, "no section for \(command) in the rendered man page")
            let options = try Self.options(of: command)
            #expect(options.contains("--help"), "\(command): no options read from --help")
            for option in options {
                #expect(ManPage.containsWord(option, in: section), "\(command) \(option) is not in its section of the man page")
            }
        }
    }

    /// The SUBCOMMANDS the root --help lists.
    static func subcommands() throws -> [String] {
        let help = try CLI.run(["--help"]).stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = help.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        let list = help[(start + 1)...].prefix { !$0.isEmpty }
        return list.compactMap { line in
            // A subcommand's name starts its line after two spaces; its wrapped description is indented further.
            guard line.hasPrefix("  "), let first = line.dropFirst(2).first, first.isLetter else { return nil }
            return line.dropFirst(2).split(separator: " ").first.map(String.init)
        }
    }

    /// Every option name (long and short) in the OPTIONS of `command --help`, e.g. ["--kind", "-q", "--quiet", ...].
    static func options(of command: String) throws -> [String] {
        let help = try CLI.run([command, "--help"]).stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = help.firstIndex(of: "OPTIONS:") else { return [] }
        var names: [String] = []
        for line in help[(start + 1)...] where line.hasPrefix("  -") {
            // The option column ends at the first run of two spaces; after it comes the description.
            let column = line.dropFirst(2).components(separatedBy: "  ")[0]
            for word in column.split(whereSeparator: { $0 == " " || $0 == "," }) where word.hasPrefix("-") {
                names.append(String(word))
            }
        }
        return names
    }

    @Test(arguments: ["summarize", "records", "backfill", "merge", "agent"])
    func everyCommandsHelpHasAnAbstractAndExamples(command: String) throws {
        let help = try CLI.run([command, "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("OVERVIEW: "))
        #expect(help.stdout.contains("Examples:"))
        #expect(help.stdout.contains("deadletter \(command)"))
    }
}

/// The text groff rendered from man/deadletter.1.
struct ManPage {
    var lines: [Substring]

    init(rendered: String) { lines = rendered.split(separator: "\n", omittingEmptySubsequences: false) }

    /// The lines of `command`'s entry in DESCRIPTION: from its tag (the name at the list's indent of five spaces)
    /// to the next subcommand's tag or the next section heading.
    func section(of command: String, among commands: [String]) -> String? {
        let indent = "     "
        func tag(_ line: Substring) -> String? {
            guard line.hasPrefix(indent), line.dropFirst(indent.count).first?.isLetter == true else { return nil }
            let name = String(line.dropFirst(indent.count).prefix { $0 != " " })
            return commands.contains(name) ? name : nil
        }
        guard let start = lines.firstIndex(where: { tag($0) == command }) else { return nil }
        let rest = lines[(start + 1)...]
        let end = rest.firstIndex { tag($0) != nil || ($0.first.map { !$0.isWhitespace } ?? false) } ?? lines.endIndex
        return lines[start..<end].joined(separator: "\n")
    }

    /// `word` occurs in `text` with no letter, digit or hyphen right before or after it.
    static func containsWord(_ word: String, in text: String) -> Bool {
        func partOfName(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "-" } ?? false }
        var searchStart = text.startIndex
        while let found = text.range(of: word, range: searchStart..<text.endIndex) {
            let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
            let after = found.upperBound == text.endIndex ? nil : text[found.upperBound]
            if !partOfName(before) && !partOfName(after) { return true }
            searchStart = text.index(after: found.lowerBound)
        }
        return false
    }
}

@Suite(.serialized) struct TableLayoutTests {
    @Test func wideCharactersAlignAndLongValuesAreCutUnlessWide() throws {
        let lines = [
            #"{"rawData":"YQ==","errorCode":"Lambda.日本語のエラーコードです","arrivalTimestamp":1709647200000}"#,
            #"{"rawData":"YQ==","errorCode":"Lambda.🔥🔥🔥","arrivalTimestamp":1709647200000}"#,
            #"{"rawData":"YQ==","errorCode":"Lambda.\#(String(repeating: "X", count: 120))","arrivalTimestamp":1709647200000}"#,
        ].joined(separator: "\n") + "\n"
        let table = try CLI.run(["summarize", "--by", "errorCode"], stdin: Data(lines.utf8), environment: ["COLUMNS": "80"])
        let rows = table.stdout.split(separator: "\n").map(String.init)
        let header = try #require(rows.firstIndex { $0.hasPrefix("ERRORCODE") })
        // Every row of the table fits 80 display columns, and the COUNT column lines up by display width.
        let countColumn = { (row: String) -> Int in
            var width = 0
            for scalar in row.unicodeScalars {
                if scalar == "1" && width > 10 { return width }
                width += (scalar.value >= 0x3000 && scalar.value <= 0x9FFF) || scalar.properties.isEmojiPresentation ? 2 : 1
            }
            return -1
        }
        let body = Array(rows[(header + 1)...].prefix(3))
        #expect(body.count == 3)
        #expect(Set(body.map(countColumn)).count == 1, "\(body)")
        for row in body { #expect(row.unicodeScalars.count <= 80) }
        #expect(body.contains { $0.contains("…") })
        let wide = try CLI.run(["summarize", "--by", "errorCode", "--wide"], stdin: Data(lines.utf8), environment: ["COLUMNS": "80"])
        #expect(wide.stdout.contains(String(repeating: "X", count: 120)))
        #expect(wide.stdout.contains("日本語のエラーコードです"))
    }

    @Test func countsAreGroupedWithThousandsSeparators() throws {
        let line = #"{"rawData":"YQ==","errorCode":"Lambda.X"}"# + "\n"
        let result = try CLI.run(["summarize", "--by", "errorCode"], stdin: Data(String(repeating: line, count: 1234).utf8))
        #expect(result.stdout.contains("1,234 records"))
        let rows = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(rows.first { $0.hasPrefix("ERRORCODE") })
        let row = try #require(rows.first { $0.hasPrefix("Lambda.X") })
        // Right-aligned: the number ends where its column's header ends.
        let headerEnd = header.distance(from: header.startIndex, to: header.range(of: "COUNT")!.upperBound)
        let countEnd = row.distance(from: row.startIndex, to: row.range(of: "1,234")!.upperBound)
        #expect(headerEnd == countEnd)
    }
}
