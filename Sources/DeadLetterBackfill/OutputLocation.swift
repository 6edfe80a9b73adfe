#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an `--out` may not be, whatever the flags: places whose replacement or mixing would destroy
/// what the user did not ask to touch.
enum PathSafety {
    /// Refuses an output that is `/`, is or contains the current directory or `$HOME`, or is, contains or
    /// lies inside one of the inputs. Paths are compared after resolving links, so `--out "$PWD"`, a link
    /// to an input and `--out input/../input` are all seen for what they are.
    static func checkOutput(_ path: String, inputs: [String], home: String? = nil) throws(OutputDirectory.Failure) {
        let out = resolve(path)
        let shown = "--out '\(path)'"
        guard out != "/" else { throw .usage("\(shown) is the root directory; name a new or empty directory") }
        if let cwd = realPath(".") {
            if out == cwd { throw .usage("\(shown) is the current directory; name a new or empty directory") }
            if contains(out, cwd) { throw .usage("\(shown) contains the current directory; name a new or empty directory") }
        }
        if let homeVariable = home, !homeVariable.isEmpty,
           let home = realPath(homeVariable) {
            if out == home { throw .usage("\(shown) is your home directory; name a new or empty directory") }
            if contains(out, home) { throw .usage("\(shown) contains your home directory; name a new or empty directory") }
        }
        for input in inputs where input != "-" {
            guard let resolved = realPath(input) else { continue }
            if out == resolved { throw .usage("\(shown) is the input '\(input)'; write the output somewhere else") }
            if contains(out, resolved) { throw .usage("\(shown) contains the input '\(input)'; write the output somewhere else") }
            if contains(resolved, out) { throw .usage("\(shown) lies inside the input '\(input)'; write the output somewhere else") }
        }
    }

    /// True when `inner` lies below `outer` (both absolute and resolved).
    static func contains(_ outer: String, _ inner: String) -> Bool {
        outer == "/" ? inner != "/" : inner.hasPrefix(outer + "/")
    }

    /// The absolute path `path` names, links resolved: the longest part that exists is resolved by the
    /// system, and the rest (not there yet, so it holds no links) is added by its names.
    static func resolve(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (realPath(".") ?? "") + "/" + path
        var parts = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var rest: [String] = []
        while true {
            let prefix = "/" + parts.joined(separator: "/")
            if let real = realPath(prefix) {
                var result = real.split(separator: "/").map(String.init)
                for part in rest {
                    switch part {
                    case ".": continue
                    case "..": if !result.isEmpty { result.removeLast() }
                    default: result.append(part)
                    }
                }
                return "/" + result.joined(separator: "/")
            }
            guard let last = parts.popLast() else { return "/" }
            rest.insert(last, at: 0)
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
