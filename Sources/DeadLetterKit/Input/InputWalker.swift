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
/// entries skipped, symbolic links followed. Each file and directory (by device and inode) is read once,
/// however many links or arguments lead to it, and a second way to one is said in a note; a link loop is
/// reported, not walked forever. Empty files are noted, with their path.
public enum InputWalker {
    /// What a walk has met so far: the first path to each file and directory, and the directories being
    /// walked (a link back to one of them is a loop).
    private struct Walk {
        var items: [InputItem] = []
        var problems: [InputProblem] = []
        var files: [FileIdentity: String] = [:]
        var directories: [FileIdentity: String] = [:]
        var ancestors: Set<FileIdentity> = []

        mutating func note(_ path: String, _ reason: String) {
            problems.append(InputProblem(path: path, reason: reason, isNote: true))
        }

        /// Adds a regular file unless one of its other names was added already.
        mutating func addFile(_ path: FilePath, _ st: stat) {
            let identity = FileIdentity(st)
            if let first = files[identity] {
                note(path.display, "the same file as \(first) (another link to it); read once")
                return
            }
            files[identity] = path.display
            if st.st_size == 0 { note(path.display, "empty file (0 bytes)") }
            items.append(InputItem(location: .file(path), displayPath: path.display))
        }

        /// True when the directory is new to this walk (and records it); else says why it is not walked again.
        mutating func enter(_ path: FilePath, _ identity: FileIdentity) -> Bool {
            if ancestors.contains(identity) {
                note(path.display, "directory link loop; not walked again")
                return false
            }
            if let first = directories[identity] {
                note(path.display, "the same directory as \(first) (another link to it); read once")
                return false
            }
            directories[identity] = path.display
            return true
        }
    }

    public static func expand(_ arguments: [String]) -> (items: [InputItem], problems: [InputProblem]) {
        var walk = Walk()
        for argument in arguments {
            if argument == "-" {
                walk.items.append(InputItem(location: .standardInput, displayPath: "-"))
                continue
            }
            var st = stat()
            guard stat(argument, &st) == 0 else {
                walk.problems.append(InputProblem(path: argument, reason: String(cString: strerror(errno))))
                continue
            }
            if isDirectory(st) {
                if walk.enter(FilePath(argument), FileIdentity(st)) { descend(FilePath(argument), FileIdentity(st), &walk) }
            } else if isRegular(st) {
                walk.addFile(FilePath(argument), st)
            } else {
                // Named explicitly, a FIFO or character device is read as a stream (`<(zcat x)` is a FIFO).
                walk.items.append(InputItem(location: .file(FilePath(argument)), displayPath: argument))
            }
        }
        return (walk.items, walk.problems)
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

    private static func isDirectory(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }
    private static func isRegular(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFREG }

    private static func descend(_ directory: FilePath, _ identity: FileIdentity, _ walk: inout Walk) {
        guard let dir = directory.withCString({ opendir($0) }) else {
            walk.problems.append(InputProblem(path: directory.display, reason: String(cString: strerror(errno))))
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
        walk.ancestors.insert(identity)
        defer { walk.ancestors.remove(identity) }
        for name in names {
            let path = directory.appending(name)
            var st = stat()
            guard path.withCString({ stat($0, &st) }) == 0 else {
                // Vanished since listing, or a dangling link.
                walk.problems.append(InputProblem(path: path.display, reason: String(cString: strerror(errno))))
                continue
            }
            if isDirectory(st) {
                let child = FileIdentity(st)
                if walk.enter(path, child) { descend(path, child, &walk) }
            } else if isRegular(st) {
                walk.addFile(path, st)
            } else {
                walk.note(path.display, "not a regular file (FIFO, socket or device); skipped")
            }
        }
    }
}
