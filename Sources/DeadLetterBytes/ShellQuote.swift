/// Words for a POSIX shell, for every command deadletter suggests to the user: a value taken from a record
/// or a log stays one argument when the line is pasted, whatever it holds (`;`, `|`, `$(...)`, quotes).
public enum ShellQuote {
    /// `value` as one shell word: as it is when it holds only `[A-Za-z0-9_./:=@%+-]`, so the common case stays
    /// readable; else in single quotes, inside which a shell expands nothing, with each `'` written `'\''`
    /// (close, escaped quote, reopen). The empty string is `''`. A leading `=` is quoted too: zsh would
    /// expand `=name` to the path of a command.
    public static func word(_ value: String) -> String {
        if !value.isEmpty, value.utf8.first != UInt8(ascii: "="), value.utf8.allSatisfy(isSafe) { return value }
        return "'" + value.replacing("'", with: #"'\''"#) + "'"
    }

    @inline(__always)
    private static func isSafe(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "@"),
             UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
