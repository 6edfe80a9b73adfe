#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about the process's terminal and environment.
enum Terminal {
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Columns of the terminal on stdout, else `$COLUMNS`, else 80.
    static func columns() -> Int {
        var size = winsize()
        #if canImport(Glibc)
        let request = UInt(TIOCGWINSZ)
        #else
        let request = TIOCGWINSZ
        #endif
        if ioctl(STDOUT_FILENO, request, &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        // Wider than any screen is a mistake, and a width in the billions would be a page of bars per row.
        if let env = getenv("COLUMNS"), let n = Int(String(cString: env)), n > 0 { return min(n, 1000) }
        return 80
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// When to colour output.
enum ColorChoice: String, CaseIterable, Sendable {
    case auto, always, never

    /// `auto` colours only a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    func enabled(fd: Int32) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let value = Terminal.environment("NO_COLOR"), !value.isEmpty { return false }
            return Terminal.isTerminal(fd)
        }
    }
}
