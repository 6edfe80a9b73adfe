#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file system path as bytes: names need not be UTF-8 (a walked directory may hold any bytes but `/` and NUL),
/// so paths are opened from their bytes and shown through a lossy, escaped string.
public struct FilePath: Sendable, Equatable, Hashable {
    public var bytes: [UInt8]

    public init(_ string: String) { bytes = Array(string.utf8) }
    init(bytes: [UInt8]) { self.bytes = bytes }

    /// For people: invalid UTF-8 shows as U+FFFD (and output escapes control characters).
    public var display: String { String(decoding: bytes, as: UTF8.self) }

    public func withCString<T>(_ body: (UnsafePointer<CChar>) -> T) -> T {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    /// `open(path, O_RDONLY)`.
    public func openReadOnly() -> Int32 { withCString { open($0, O_RDONLY) } }

    func appending(_ name: [UInt8]) -> FilePath {
        if bytes == Array(".".utf8) { return FilePath(bytes: name) }
        return FilePath(bytes: bytes.last == UInt8(ascii: "/") ? bytes + name : bytes + [UInt8(ascii: "/")] + name)
    }
}

/// One input to read: a regular file found from the arguments, or standard input.
public struct InputItem: Sendable, Equatable {
    public enum Location: Sendable, Equatable { case file(FilePath), standardInput }
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
                walk(directory: FilePath(argument), visited: &visited, items: &items, problems: &problems)
            } else {
                // A file, or, named explicitly, a FIFO or character device read as a stream (`<(zcat x)` is a FIFO).
                items.append(InputItem(location: .file(FilePath(argument)), displayPath: argument))
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
            guard path.withCString({ stat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
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

    private static func walk(directory: FilePath, visited: inout Set<FileIdentity>,
                             items: inout [InputItem], problems: inout [InputProblem]) {
        guard let dir = directory.withCString({ opendir($0) }) else {
            problems.append(InputProblem(path: directory.display, reason: String(cString: strerror(errno))))
            return
        }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            // The name's bytes as they are: not every name is UTF-8.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name.first == UInt8(ascii: ".") { continue }
            names.append(name)
        }
        closedir(dir)
        names.sort { $0.lexicographicallyPrecedes($1) }
        for name in names {
            let path = directory.appending(name)
            var st = stat()
            guard path.withCString({ stat($0, &st) }) == 0 else {
                // Vanished since listing, or a dangling link.
                problems.append(InputProblem(path: path.display, reason: String(cString: strerror(errno))))
                continue
            }
            if isDirectory(st) {
                let identity = FileIdentity(st)
                if visited.contains(identity) {
                    problems.append(InputProblem(path: path.display, reason: "directory link loop; not walked again", isNote: true))
                    continue
                }
                visited.insert(identity)
                walk(directory: path, visited: &visited, items: &items, problems: &problems)
                visited.remove(identity)
            } else if isRegular(st) {
                items.append(InputItem(location: .file(path), displayPath: path.display))
            } else {
                problems.append(InputProblem(path: path.display, reason: "not a regular file (FIFO, socket or device); skipped", isNote: true))
            }
        }
    }
}
