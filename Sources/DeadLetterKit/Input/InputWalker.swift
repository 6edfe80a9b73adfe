#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input to read: a regular file found from the arguments, or standard input.
public struct InputItem: Sendable, Equatable {
    public enum Location: Sendable, Equatable { case file(String), standardInput }
    public var location: Location
    /// Path as shown to the user (`-` for stdin). Its folders mirror the S3 key, so the family and the
    /// stream are read from it.
    public var displayPath: String
}

/// A path that could not be used, with the reason.
public struct InputProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// Notes (FIFOs, devices skipped) do not make the run fail; problems do.
    public var isNote: Bool = false
    public var description: String { "\(path): \(reason)" }
}

/// Expands arguments into inputs: directories recursively in sorted order (byte order of names), hidden
/// entries skipped, symbolic links followed once (a loop is reported, not walked forever).
public enum InputWalker {
    public static func expand(_ arguments: [String]) -> (items: [InputItem], problems: [InputProblem]) {
        var items: [InputItem] = []
        var problems: [InputProblem] = []
        for argument in arguments {
            if argument == "-" {
                items.append(InputItem(location: .standardInput, displayPath: "-"))
                continue
            }
            var st = stat()
            guard stat(argument, &st) == 0 else {
                problems.append(InputProblem(path: argument, reason: String(cString: strerror(errno))))
                continue
            }
            if isDirectory(st) {
                var visited: Set<FileIdentity> = [FileIdentity(st)]
                walk(directory: argument, visited: &visited, items: &items, problems: &problems)
            } else if isRegular(st) {
                items.append(InputItem(location: .file(argument), displayPath: argument))
            } else {
                // Named explicitly: a FIFO or character device is read as a stream (`<(zcat x)` is a FIFO).
                items.append(InputItem(location: .file(argument), displayPath: argument))
            }
        }
        return (items, problems)
    }

    /// The total size of the inputs, for the progress line's ETA; nil when one is a stream (stdin, a FIFO).
    public static func totalBytes(_ items: [InputItem]) -> Int64? {
        var total: Int64 = 0
        for item in items {
            guard case .file(let path) = item.location else { return nil }
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            total += Int64(st.st_size)
        }
        return total
    }

    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    private static func isDirectory(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }
    private static func isRegular(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFREG }

    private static func join(_ a: String, _ b: String) -> String {
        if a == "." { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    private static func walk(directory: String, visited: inout Set<FileIdentity>,
                             items: inout [InputItem], problems: inout [InputProblem]) {
        guard let dir = opendir(directory) else {
            problems.append(InputProblem(path: directory, reason: String(cString: strerror(errno))))
            return
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        closedir(dir)
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            let path = join(directory, name)
            var st = stat()
            guard stat(path, &st) == 0 else {
                // Vanished since listing, or a dangling link.
                problems.append(InputProblem(path: path, reason: String(cString: strerror(errno))))
                continue
            }
            if isDirectory(st) {
                let identity = FileIdentity(st)
                if visited.contains(identity) {
                    problems.append(InputProblem(path: path, reason: "directory link loop; not walked again", isNote: true))
                    continue
                }
                visited.insert(identity)
                walk(directory: path, visited: &visited, items: &items, problems: &problems)
                visited.remove(identity)
            } else if isRegular(st) {
                items.append(InputItem(location: .file(path), displayPath: path))
            } else {
                problems.append(InputProblem(path: path, reason: "not a regular file (FIFO, socket or device); skipped", isNote: true))
            }
        }
    }
}
