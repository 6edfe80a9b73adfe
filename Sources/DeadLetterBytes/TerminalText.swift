/// Text bound for a terminal: escaped so record content cannot move the cursor, change colours or
/// reorder the line, and measured in display columns (CJK and emoji take two).
public enum TerminalText {
    /// Replaces control characters (C0, DEL, C1), line and paragraph separators and bidirectional controls
    /// with visible escapes (`\n`, `\r`, `\t`, `\x1B`, `\u{2028}`); `keeping` names characters to leave as they are.
    public static func escape(_ s: String, keeping: Set<Unicode.Scalar> = []) -> String {
        var needs = false
        for scalar in s.unicodeScalars where isUnsafe(scalar) && !keeping.contains(scalar) {
            needs = true
            break
        }
        if !needs { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            guard isUnsafe(scalar), !keeping.contains(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let v = scalar.value
                out += v < 0x100 ? "\\x" + String(format2: v) : "\\u{" + String(v, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// The characters that can move the cursor or reorder what is shown: C0, DEL and C1 controls; U+2028 and
    /// U+2029, which some terminals and viewers take as a line break; and every bidirectional control
    /// (Unicode's Bidi_Control: U+061C, U+200E/F, U+202A–E, U+2066–9), which can make text read in a
    /// different order. The zero-width U+200B–D and U+FEFF stay: they move nothing and reorder nothing, and
    /// U+200C/D are part of emoji sequences and of Arabic and Indic words, which escaping would garble.
    @inline(__always)
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || v == 0x7F || (v >= 0x80 && v < 0xA0) { return true }
        if v < 0x61C { return false }
        return v == 0x61C || v == 0x200E || v == 0x200F || (v >= 0x2028 && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069)
    }

    /// Display columns of one scalar: 0 for combining marks, 2 for East Asian wide and emoji, else 1.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || (v >= 0xFE00 && v <= 0xFE0F) { return 0 }
        if isWide(v) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    private static func isWide(_ v: UInt32) -> Bool {
        (v >= 0x1100 && v <= 0x115F) || (v >= 0x2E80 && v <= 0x303E) || (v >= 0x3041 && v <= 0x33FF)
            || (v >= 0x3400 && v <= 0x4DBF) || (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0xA000 && v <= 0xA4CF)
            || (v >= 0xAC00 && v <= 0xD7A3) || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0xFE30 && v <= 0xFE4F)
            || (v >= 0xFF00 && v <= 0xFF60) || (v >= 0xFFE0 && v <= 0xFFE6) || (v >= 0x1F300 && v <= 0x1F64F)
            || (v >= 0x1F900 && v <= 0x1F9FF) || (v >= 0x20000 && v <= 0x3FFFD)
    }

    public static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    /// Cuts `s` to at most `columns` display columns, ending with `…` when it was cut.
    public static func truncate(_ s: String, to columns: Int) -> String {
        if width(s) <= columns { return s }
        guard columns > 0 else { return "" }
        var out = ""
        var used = 0
        for scalar in s.unicodeScalars {
            let w = width(of: scalar)
            if used + w > columns - 1 { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        return out + "…"
    }

    public static func pad(_ s: String, to columns: Int, right: Bool = false) -> String {
        let gap = max(0, columns - width(s))
        let fill = String(repeating: " ", count: gap)
        return right ? fill + s : s + fill
    }
}

extension String {
    init(format2 v: UInt32) {
        let h = String(v, radix: 16, uppercase: true)
        self = h.count < 2 ? "0" + h : h
    }
}

/// Number formatting for people.
public enum HumanNumber {
    /// `1234567` → `1,234,567`.
    public static func grouped<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// `part` as a share of `whole` with one decimal: `14.9%`.
    public static func percent(_ part: Int, of whole: Int) -> String {
        let tenths = Int((Double(part) * 100 / Double(max(whole, 1)) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// Bytes in binary units: `512 B`, `1.5 KiB`, `12.0 MiB`.
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = Double(value)
        var unit = 0
        while v >= 1024 && unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        let tenths = (v * 10).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10) \(units[unit])"
    }
}
