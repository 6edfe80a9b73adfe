/// RFC 4180 CSV cells, safe to open in a spreadsheet and to show on a terminal.
public enum CSVOutput {
    /// One cell. Control characters (C0 but LF and TAB, DEL, C1), CR included, and the characters that reorder
    /// or break a line on a terminal are written as visible escapes (`TerminalText.escape`); a cell holding a
    /// comma, quote or LF is quoted; a cell that a spreadsheet could run as a formula gets a leading `'`
    /// (`startsLikeFormula`). Plain numbers written by this tool are passed with `isNumber`: `-5` from an
    /// integer column stays a number, while the text `-5` in a record field is neutralised like any text,
    /// because telling a number from a formula such as `-5+cmd|...` would need a parser of its own.
    public static func cell(_ value: String, isNumber: Bool = false) -> String {
        if isPlain(value, isNumber: isNumber) { return value }
        // LF stays raw: RFC 4180 allows it in a quoted cell, and on a terminal it only starts a new line, so it
        // cannot hide what was written before. CR is escaped: alone it moves back over the line and lets the
        // rest of the cell overwrite it. TAB stays raw: it only moves forward, and it is data spreadsheets keep.
        var text = TerminalText.escape(value, keeping: ["\n", "\t"])
        if !isNumber && startsLikeFormula(value) { text = "'" + text }
        if text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) {
            return "\"" + text.replacing("\"", with: "\"\"") + "\""
        }
        return text
    }

    public static func row(_ cells: [String]) -> String {
        cells.joined(separator: ",") + "\r\n"
    }

    /// True when `value` is written as it is: printable ASCII only, no comma or quote, and not starting with
    /// a formula character or a space. This is nearly every cell, so it is decided on UTF-8 bytes, eight at a
    /// time, without looking at scalars.
    @inline(__always)
    static func isPlain(_ value: String, isNumber: Bool) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { b -> Bool in
            guard let p = b.baseAddress, !b.isEmpty else { return true }
            if !isNumber && isRiskyFirstByte(p[0]) { return false }
            let n = b.count
            var i = SWAR.skip(p, from: 0, end: n) {
                SWAR.nonASCII($0) | SWAR.control($0) | SWAR.equal($0, 0x7F) | SWAR.equal($0, 0x22) | SWAR.equal($0, 0x2C)
            }
            while i < n {
                let c = p[i]
                if c < 0x20 || c >= 0x7F || c == 0x22 || c == 0x2C { return false }
                i += 1
            }
            return true
        } ?? false
    }

    /// ASCII bytes that may start a formula, by themselves or after blanks (all other blanks are controls or
    /// non-ASCII, which leave the fast path anyway).
    @inline(__always)
    private static func isRiskyFirstByte(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "=") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: "@") || c == UInt8(ascii: " ")
    }

    /// True when a spreadsheet could read the cell as a formula: it starts with TAB or CR (OWASP's list), or
    /// its first character after any blanks is `= + - @` or their full-width forms `＝ ＋ － ＠`, which
    /// spreadsheets with an East Asian input method take as the same. Blanks are every Unicode white space
    /// (space, TAB, LF, CR, NBSP, the U+2000 spaces, ideographic space...) and the zero-width characters, as
    /// neither shows in front of the `=` a reader would have to notice.
    static func startsLikeFormula(_ value: String) -> Bool {
        let scalars = value.unicodeScalars
        if let first = scalars.first, first == "\t" || first == "\r" { return true }
        for scalar in scalars where !isBlank(scalar) {
            return isFormulaStarter(scalar)
        }
        return false
    }

    private static func isFormulaStarter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3D, 0x2B, 0x2D, 0x40, 0xFF1D, 0xFF0B, 0xFF0D, 0xFF20: return true
        default: return false
        }
    }

    private static func isBlank(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x200B...0x200D, 0x2060, 0xFEFF: return true
        default: return s.properties.isWhitespace
        }
    }
}
