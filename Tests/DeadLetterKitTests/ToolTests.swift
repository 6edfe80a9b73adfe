import Foundation
import Testing

/// The command-line experience: progress, completions, the man page, help.
@Suite(.serialized) struct ToolTests {
    /// Runs `command` under a pseudo-terminal (util-linux `script`), so stdout and stderr are terminals.
    func underTerminal(_ command: String, environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = CLI.packageRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func progressAppearsOnATerminalThenIsErasedAndNeverWhenPiped() throws {
        let (dir, _) = try CLI.generateCorpus(records: 40_000, seed: 4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus").path
        let out = dir.appendingPathComponent("out.txt").path
        let tty = try underTerminal("'\(CLI.binary.path)' summarize -q '\(corpus)' --no-progress > /dev/null; echo first-done; '\(CLI.binary.path)' summarize '\(corpus)' 2>/dev/tty > '\(out)'")
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

    @Test func manPageIsCurrentAndRenders() throws {
        let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/deadletter.1"), encoding: .utf8)
        for section in [".Sh NAME", ".Sh SYNOPSIS", ".Sh DESCRIPTION", ".Sh EXAMPLES", ".Sh EXIT STATUS", ".Sh ENVIRONMENT", ".Sh FILES"] {
            #expect(committed.contains(section), "man page lacks \(section)")
        }
        for command in ["summarize", "records", "backfill", "merge", "agent"] { #expect(committed.contains(command)) }
        // Every option --help shows is in the man page.
        for command in ["summarize", "records", "backfill", "merge", "agent"] {
            let help = try CLI.run([command, "--help"]).stdout
            let options = help.split(separator: "\n").compactMap { line -> String? in
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix("--"), let end = t.firstIndex(where: { $0 == " " || $0 == "," || $0 == "<" }) else { return t.hasPrefix("--") ? t : nil }
                return String(t[..<end])
            }
            for option in options where option != "--help" && option != "--version" {
                #expect(committed.contains(String(option.dropFirst(2))), "\(command) \(option) missing from the man page")
            }
        }
        let (_, text) = try CLI.capture("/bin/sh", ["-c", "command -v mandoc >/dev/null && mandoc -T lint -W warning man/deadletter.1; command -v man >/dev/null && MANWIDTH=80 man -l man/deadletter.1 2>&1 >/dev/null"])
        #expect(!text.contains("warning") && !text.contains("error"), "\(text)")
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
