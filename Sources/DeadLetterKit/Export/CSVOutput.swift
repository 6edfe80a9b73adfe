/// RFC 4180 CSV cells, safe to open in a spreadsheet.
public enum CSVOutput {
    /// Quotes a cell when it holds a comma, quote, CR or LF, and neutralises formulas: a cell whose first
    /// non-blank character is `=`, `+`, `-` or `@` gets a leading `'` so the spreadsheet shows it as text.
    /// Plain numbers written by this tool are passed with `isNumber` and left alone.
    public static func cell(_ value: String, isNumber: Bool = false) -> String {
        // Line breaks and tabs are data CSV can hold (quoted); other controls would act on a terminal.
        var text = TerminalText.escape(value, keeping: ["\n", "\r", "\t"])
        if !isNumber, let first = text.unicodeScalars.first(where: { $0 != " " && $0 != "\t" }),
           first == "=" || first == "+" || first == "-" || first == "@" || text.hasPrefix("\t") || text.hasPrefix("\r") {
            text = "'" + text
        }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            return "\"" + text.replacing("\"", with: "\"\"") + "\""
        }
        return text
    }

    public static func row(_ cells: [String]) -> String {
        cells.joined(separator: ",") + "\r\n"
    }
}

