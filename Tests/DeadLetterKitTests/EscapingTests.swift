@testable import DeadLetterBytes
import Foundation
import Testing

/// Issue 13, points 9 and 12: untrusted data never reaches a terminal, a spreadsheet or a shell unescaped.
/// Expected strings are written by hand; the end-to-end tests read the output with other tools (Python's
/// csv module, sh) rather than with deadletter's own code.
@Suite struct TerminalEscapingTests {
    @Test(arguments: [
        (0x2028, "\\u{2028}"), (0x2029, "\\u{2029}"), (0x061C, "\\u{61C}"),
        (0x200E, "\\u{200E}"), (0x200F, "\\u{200F}"),
        (0x202A, "\\u{202A}"), (0x202B, "\\u{202B}"), (0x202C, "\\u{202C}"), (0x202D, "\\u{202D}"), (0x202E, "\\u{202E}"),
        (0x2066, "\\u{2066}"), (0x2067, "\\u{2067}"), (0x2068, "\\u{2068}"), (0x2069, "\\u{2069}"),
        (0x00, "\\x00"), (0x07, "\\x07"), (0x08, "\\x08"), (0x0A, "\\n"), (0x0D, "\\r"), (0x09, "\\t"), (0x1B, "\\x1B"),
        (0x1F, "\\x1F"), (0x7F, "\\x7F"), (0x80, "\\x80"), (0x85, "\\x85"), (0x9B, "\\x9B"), (0x9F, "\\x9F"),
    ] as [(UInt32, String)])
    func cursorMovingAndReorderingCharactersAreEscaped(value: UInt32, shown: String) throws {
        let scalar = try #require(Unicode.Scalar(value))
        #expect(TerminalText.escape("a" + String(scalar) + "b") == "a" + shown + "b")
    }

    @Test func zeroWidthAndOrdinaryTextPassUnchanged() {
        for text in ["plain", "a\u{200B}b", "a\u{200C}b", "👩\u{200D}💻", "\u{FEFF}x", "nbsp\u{A0}here", "עברית", "日本語", "\u{A0}\u{A1}"] {
            #expect(TerminalText.escape(text) == text)
        }
    }

    @Test func jsonEscapesTheSameNonASCIICharacters() {
        #expect(JSONOutput.quote("a\u{2028}b\u{2029}c\u{061C}d\u{202E}e\u{85}f") == #""a\u2028b\u2029c\u061cd\u202ee\u0085f""#)
        #expect(JSONOutput.quote("\u{061C}") == #""\u061c""#)
        // The neighbours of U+061C (U+061B, U+061D) and zero-width characters stay raw.
        #expect(JSONOutput.quote("\u{61B}\u{61D}\u{200B}") == "\"\u{61B}\u{61D}\u{200B}\"")
        let json = "{\"m\":\"x\u{061C}y\u{2029}z\"}"
        let out = Array(json.utf8).withUnsafeBufferPointer { String(decoding: JSONText.compact($0), as: UTF8.self) }
        #expect(out == #"{"m":"x\u061cy\u2029z"}"#)
    }
}

@Suite struct CSVCellEscapingTests {
    @Test func carriageReturnIsShownEscapedNotRaw() {
        #expect(CSVOutput.cell("Access granted to 10.0.0.1\rDENIED") == "Access granted to 10.0.0.1\\rDENIED")
        // Also within CR-LF: the CR is escaped, the LF kept, so the cell is quoted.
        #expect(CSVOutput.cell("one\r\ntwo") == "\"one\\r\ntwo\"")
        #expect(CSVOutput.cell("ends with CR\r") == "ends with CR\\r")
    }

    @Test func lineFeedStaysRawInsideAQuotedCell() {
        #expect(CSVOutput.cell("two\nlines") == "\"two\nlines\"")
        // LF alone does not start a formula.
        #expect(CSVOutput.cell("\nplain") == "\"\nplain\"")
    }

    @Test func otherControlsAndTerminalCharactersAreEscaped() {
        #expect(CSVOutput.cell("a\u{1B}[2Jb") == "a\\x1B[2Jb")
        #expect(CSVOutput.cell("a\u{2028}b\u{2029}c") == "a\\u{2028}b\\u{2029}c")
        #expect(CSVOutput.cell("a\u{061C}b\u{202E}c") == "a\\u{61C}b\\u{202E}c")
        #expect(CSVOutput.cell("tab\tinside") == "tab\tinside")
    }

    @Test func formulaStartersAreNeutralised() {
        #expect(CSVOutput.cell("=1+1") == "'=1+1")
        #expect(CSVOutput.cell("+1") == "'+1")
        #expect(CSVOutput.cell("-1") == "'-1")
        #expect(CSVOutput.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVOutput.cell("＝1+1") == "'＝1+1")
        #expect(CSVOutput.cell("＋1") == "'＋1")
        #expect(CSVOutput.cell("－1") == "'－1")
        #expect(CSVOutput.cell("＠SUM(A1)") == "'＠SUM(A1)")
        #expect(CSVOutput.cell("=HYPERLINK(\"x\",\"y\")") == "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")
    }

    @Test func formulaStartersAfterLeadingWhitespaceAreNeutralised() {
        #expect(CSVOutput.cell("  =1") == "'  =1")
        #expect(CSVOutput.cell("\t=1") == "'\t=1")
        #expect(CSVOutput.cell("\n=1") == "\"'\n=1\"")
        #expect(CSVOutput.cell("\r=1") == "'\\r=1")
        #expect(CSVOutput.cell("\r\n=1") == "\"'\\r\n=1\"")
        #expect(CSVOutput.cell("\u{A0}=1") == "'\u{A0}=1")
        #expect(CSVOutput.cell("\u{2003}+1") == "'\u{2003}+1")
        #expect(CSVOutput.cell("\u{3000}＝1") == "'\u{3000}＝1")
        #expect(CSVOutput.cell("\u{200B}@x") == "'\u{200B}@x")
        #expect(CSVOutput.cell("\u{FEFF}-1") == "'\u{FEFF}-1")
        #expect(CSVOutput.cell(" \t\u{A0}\n ＠x") == "\"' \t\u{A0}\n ＠x\"")
    }

    /// Every starter after every kind of blank. `shown` is how the blank appears in the cell, and whether the
    /// cell must be quoted (it holds an LF).
    @Test(arguments: [
        (" ", " ", false), ("\t", "\t", false), ("\r", "\\r", false), ("\n", "\n", true), ("\r\n", "\\r\n", true),
        ("\u{A0}", "\u{A0}", false), ("\u{2003}", "\u{2003}", false), ("\u{202F}", "\u{202F}", false),
        ("\u{3000}", "\u{3000}", false), ("\u{200B}", "\u{200B}", false), ("\u{FEFF}", "\u{FEFF}", false),
        ("\u{85}", "\\x85", false),
    ])
    func everyStarterAfterEveryBlank(blank: String, shown: String, quoted: Bool) {
        for starter in ["=", "+", "-", "@", "＝", "＋", "－", "＠"] {
            let body = "'" + shown + starter + "cmd"
            #expect(CSVOutput.cell(blank + starter + "cmd") == (quoted ? "\"" + body + "\"" : body), "\(blank.unicodeScalars.map(\.value)) \(starter)")
        }
    }

    @Test func tabOrCarriageReturnFirstIsNeutralisedWhateverFollows() {
        #expect(CSVOutput.cell("\tabc") == "'\tabc")
        #expect(CSVOutput.cell("\rabc") == "'\\rabc")
    }

    @Test func negativeNumbersFromIntegerColumnsStayNumbersAndTextIsNeutralised() {
        #expect(CSVOutput.cell("-5", isNumber: true) == "-5")
        #expect(CSVOutput.cell("-5") == "'-5")
        #expect(CSVOutput.cell("-1.5") == "'-1.5")
    }

    @Test func harmlessCellsAreUnchanged() {
        for text in ["", "plain text", "Lambda.FunctionError", "a=b", "x-1", "5", "1.5", "ERROR: a-b @ c", "café", "日本語",
                     "\u{A0}text", "a\u{200B}b", "👩\u{200D}💻"] {
            #expect(CSVOutput.cell(text) == text)
        }
        #expect(CSVOutput.cell("a,b") == "\"a,b\"")
    }
}

@Suite struct ShellQuoteTests {
    @Test func safeWordsStayReadable() {
        #expect(ShellQuote.word("plain") == "plain")
        #expect(ShellQuote.word("/aws/lambda/my-fn_1.2:x@y%z+w=v") == "/aws/lambda/my-fn_1.2:x@y%z+w=v")
    }

    @Test func everythingElseIsSingleQuoted() {
        #expect(ShellQuote.word("") == "''")
        #expect(ShellQuote.word("two words") == "'two words'")
        #expect(ShellQuote.word("it's") == #"'it'\''s'"#)
        #expect(ShellQuote.word("a;b") == "'a;b'")
        #expect(ShellQuote.word("$(id)") == "'$(id)'")
        #expect(ShellQuote.word("`id`") == "'`id`'")
        #expect(ShellQuote.word("a\nb") == "'a\nb'")
        #expect(ShellQuote.word("x; curl 127.0.0.1|sh #") == "'x; curl 127.0.0.1|sh #'")
        #expect(ShellQuote.word("~") == "'~'")
        #expect(ShellQuote.word("*") == "'*'")
        #expect(ShellQuote.word("a\\b") == #"'a\b'"#)
        #expect(ShellQuote.word("=ls") == "'=ls'")
        #expect(ShellQuote.word("''") == #"''\'''\'''"#)
    }

    /// The shell itself reads each quoted word back as the one original argument.
    @Test func theShellReadsBackTheOriginalValue() throws {
        for value in ["", "plain", "it's", "a b", "$(id)", "`id`", "a\nb", "x; curl 127.0.0.1|sh #", "'", "\\'", "*", "~root", "\"q\" $HOME"] {
            let (status, output) = try ShellRun.safely("printf '%s|' " + ShellQuote.word(value))
            #expect(status == 0)
            #expect(output == value + "|", "\(value)")
        }
    }
}

/// Runs a shell line with no PATH, so that a line that failed to quote its input runs nothing but builtins.
enum ShellRun {
    static func safely(_ line: String) throws -> (status: Int32, output: String) {
        try CLI.capture("/usr/bin/env", ["-i", "PATH=/nonexistent", "/bin/sh", "-c", line])
    }
}

@Suite(.serialized) struct EscapingEndToEndTests {
    @Test func recordsCSVEscapesCarriageReturnsAndNeutralisesHiddenFormulas() throws {
        let message = "Access granted to 10.0.0.1\rDENIED\u{2028}next"
        let input = [
            "{\"rawData\":\"\(Harness.base64("\n=HYPERLINK(\"http://evil\",\"x\")"))\",\"errorCode\":\"Lambda.X\",\"errorMessage\":\(JSONOutput.quote(message)),\"attemptsMade\":5}",
            "{\"rawData\":\"\(Harness.base64("＝1+1"))\",\"errorCode\":\"\u{A0}=cmd\",\"errorMessage\":\"-5\"}",
            "{\"rawData\":\"\(Harness.base64("plain text"))\",\"errorCode\":\"\\r\\n+1\",\"errorMessage\":\"\\t@x\"}",
        ].joined(separator: "\n") + "\n"
        let csv = try CLI.run(["records", "--format", "csv", "--fields", "errorCode,errorMessage,attempts,payload"], stdin: Data(input.utf8))
        #expect(csv.status == 0, "\(csv.stderr)")
        // Every CR in the output ends a row: none inside a cell.
        let bytes = Array(csv.stdout.utf8)
        for (i, b) in bytes.enumerated() where b == 0x0D {
            #expect(i + 1 < bytes.count && bytes[i + 1] == 0x0A)
        }
        #expect(!csv.stdout.unicodeScalars.contains("\u{2028}"))
        let script = """
        import csv, io, json, sys
        rows = list(csv.reader(io.StringIO(sys.stdin.buffer.read().decode('utf-8'), newline='')))
        print(json.dumps(rows))
        """
        let parsed = try Harness.run("/usr/bin/env", ["python3", "-c", script], input: bytes)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(parsed)) as? [[String]])
        #expect(rows.count == 4)
        #expect(rows[0] == ["errorCode", "errorMessage", "attempts", "payload"])
        #expect(rows[1] == ["Lambda.X", "Access granted to 10.0.0.1\\rDENIED\\u{2028}next", "5", "'\n=HYPERLINK(\"http://evil\",\"x\")"])
        #expect(rows[2] == ["'\u{A0}=cmd", "'-5", "(none)", "'＝1+1"])
        #expect(rows[3] == ["'\\r\n+1", "'\t@x", "(none)", "plain text"])
        // No cell holds a raw CR: the parser saw every one as a line ending.
        #expect(!rows.joined().contains { $0.unicodeScalars.contains("\r") })
    }

    @Test func agentSuggestsACommandThatKeepsAHostileGroupNameOneArgument() throws {
        let groups = ["x; curl 127.0.0.1|sh #", "it's $(id) `uname` \"q\" & *", "/app/$HOME|a\\b"]
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var log = ""
        for (i, group) in groups.enumerated() {
            let second = String(format: "%02d", i * 2)
            log += "2019-08-15 05:00:\(second),500 - cwlogs.push.publisher - INFO - 4399 - Thread-\(i) - Log group: \(group), log stream: s, queue size: 0\n"
            log += "2019-08-15 05:00:\(second),600 - cwlogs.push.publisher - WARNING - 4399 - Thread-\(i) - Caught exception: An error occurred (ResourceNotFoundException) when calling the PutLogEvents operation: The specified log group does not exist.\n"
        }
        try Data(log.utf8).write(to: dir.appendingPathComponent("awslogs.log"))
        let result = try CLI.run(["agent", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let commands = result.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let start = line.firstRange(of: "(aws logs create-log-group"), let end = line.firstRange(of: ") or let the agent create it") else { return nil }
            return String(line[line.index(after: start.lowerBound)..<end.lowerBound])
        }
        #expect(commands.count == groups.count, "\(result.stdout)")
        var seen: [String] = []
        for command in commands {
            let syntax = try CLI.capture("/bin/sh", ["-n", "-c", command])
            #expect(syntax.status == 0, "\(command): \(syntax.output)")
            let arguments = try #require(command.firstRange(of: "aws ")).upperBound
            let (status, output) = try ShellRun.safely("printf '%s\\n' " + command[arguments...])
            #expect(status == 0, "\(command)")
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.count == 5 && Array(lines.prefix(3)) == ["logs", "create-log-group", "--log-group-name"], "\(command): \(output)")
            if lines.count == 5 { seen.append(lines[3]) }
        }
        #expect(seen.sorted() == groups.sorted())
    }
}
