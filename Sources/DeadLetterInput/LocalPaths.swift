import DeadLetterSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a system call failed, read from `errno` right where it failed, before anything else can change it.
struct SystemFailure: Error, Sendable {
    let reason: String

    /// Call immediately after the failing call, with nothing in between.
    static func justNow() -> SystemFailure { SystemFailure(reason: String(cString: strerror(errno))) }
}

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

    /// The one way a local file is opened for reading: records, agent logs and whole-file reads all come here.
    public func openForReading() throws(InputError) -> FileDescriptorSource {
        let opened: Result<Int32, SystemFailure> = withCString { path in
            let fd = open(path, O_RDONLY)
            return fd >= 0 ? .success(fd) : .failure(.justNow())
        }
        switch opened {
        case .success(let fd): return FileDescriptorSource(fd: fd, closeOnDeinit: true)
        case .failure(let failure): throw .cannotOpen(failure.reason)
        }
    }

    /// `stat(2)`, following links.
    func status() throws(SystemFailure) -> stat {
        var st = stat()
        let failure: SystemFailure? = withCString { stat($0, &st) == 0 ? nil : .justNow() }
        if let failure { throw failure }
        return st
    }

    func appending(_ name: [UInt8]) -> FilePath {
        if bytes == Array(".".utf8) { return FilePath(bytes: name) }
        return FilePath(bytes: bytes.last == UInt8(ascii: "/") ? bytes + name : bytes + [UInt8(ascii: "/")] + name)
    }
}

/// A local file (or a FIFO or device named explicitly), found by `LocalPaths`.
struct LocalFile: InputOrigin {
    let path: FilePath
    let file: FileIdentity

    var identity: InputIdentity { InputIdentity(scheme: "file", key: "\(file.device):\(file.inode)") }

    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
        let source = try path.openForReading()
        source.progress = progress
        return OpenedInput(source)
    }
}

/// Standard input (`-`, or no argument when it is not a terminal). Never closed: it is not ours.
struct StandardInput: InputOrigin {
    var identity: InputIdentity { InputIdentity(scheme: "stdin", key: "-") }

    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
        let source = FileDescriptorSource(fd: STDIN_FILENO, closeOnDeinit: false)
        source.progress = progress
        return OpenedInput(source)
    }
}

/// Local paths and `-`: directories recursively in sorted order (byte order of names), hidden entries
/// skipped, symbolic links followed. Each file and directory (by device and inode) is read once, however
/// many links or arguments lead to it, and a second way to one is said in a note; a link loop is reported,
/// not walked forever. Empty files are noted, with their path. Claims every argument no other source does.
struct LocalPaths: InputSource {
    /// The first path to each file and directory, and the directories being walked (a link back to one of
    /// them is a loop).
    private var files: [FileIdentity: String] = [:]
    private var directories: [FileIdentity: String] = [:]
    private var ancestors: Set<FileIdentity> = []
    /// `--since`/`--until`: dated folders (`YYYY/MM/DD/HH`) wholly outside are not walked, as in `s3://`.
    private let window: TimeWindow?
    /// Dated folders left out under the argument being listed.
    private var pruned = 0

    init(window: TimeWindow? = nil) {
        self.window = window
    }

    func claims(_ argument: String) -> Bool { true }

    mutating func list(_ argument: String, into listing: inout InputListing) {
        if argument == "-" {
            listing.units.append(InputUnit(name: "-", size: nil, origin: StandardInput()))
            return
        }
        let path = FilePath(argument)
        let st: stat
        do { st = try path.status() } catch {
            listing.problems.append(InputProblem(path: argument, reason: error.reason))
            return
        }
        if Self.isDirectory(st) {
            // Where the argument stands in a dated tree (`bucket/processing-failed/2024/03` is March 2024).
            let dated = DatedFolder.suffix(argument.split(separator: "/").map(String.init))
            pruned = 0
            if outside(dated) {
                pruned = 1
            } else if enter(path, FileIdentity(st), &listing) {
                descend(path, FileIdentity(st), dated: dated, &listing)
            }
            if pruned > 0 {
                Self.note(argument, "\(pruned) dated folder\(pruned == 1 ? "" : "s") outside --since/--until skipped unread", &listing)
            }
        } else if Self.isRegular(st) {
            addFile(path, st, &listing)
        } else {
            // Named explicitly, a FIFO or character device is read as a stream (`<(zcat x)` is a FIFO).
            listing.units.append(InputUnit(name: argument, size: nil, origin: LocalFile(path: path, file: FileIdentity(st))))
        }
    }

    private static func note(_ path: String, _ reason: String, _ listing: inout InputListing) {
        listing.problems.append(InputProblem(path: path, reason: reason, isNote: true))
    }

    /// Adds a regular file unless one of its other names was added already.
    private mutating func addFile(_ path: FilePath, _ st: stat, _ listing: inout InputListing) {
        let identity = FileIdentity(st)
        if let first = files[identity] {
            Self.note(path.display, "the same file as \(first) (another link to it); read once", &listing)
            return
        }
        files[identity] = path.display
        if st.st_size == 0 { Self.note(path.display, "empty file (0 bytes)", &listing) }
        listing.units.append(InputUnit(name: path.display, size: Int64(st.st_size), origin: LocalFile(path: path, file: identity)))
    }

    /// True when the directory is new to this walk (and records it); else says why it is not walked again.
    private mutating func enter(_ path: FilePath, _ identity: FileIdentity, _ listing: inout InputListing) -> Bool {
        if ancestors.contains(identity) {
            Self.note(path.display, "directory link loop; not walked again", &listing)
            return false
        }
        if let first = directories[identity] {
            Self.note(path.display, "the same directory as \(first) (another link to it); read once", &listing)
            return false
        }
        directories[identity] = path.display
        return true
    }

    private static func isDirectory(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }
    private static func isRegular(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFREG }

    /// True when the dated folder `dated` (nothing when empty) can hold no record inside the window.
    private func outside(_ dated: [Int]) -> Bool {
        guard let window, !dated.isEmpty else { return false }
        let (start, end) = DatedFolder.span(dated)
        return !window.overlaps(start: start, end: end)
    }

    /// `dated`: the year, month, day, hour `directory` is inside a dated tree (empty outside one).
    private mutating func descend(_ directory: FilePath, _ identity: FileIdentity, dated: [Int], _ listing: inout InputListing) {
        let (opened, failure) = directory.withCString { path in
            let dir = opendir(path)
            return (dir, dir == nil ? SystemFailure.justNow() : nil)
        }
        guard let dir = opened else {
            listing.problems.append(InputProblem(path: directory.display, reason: failure?.reason ?? "cannot open directory"))
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
        ancestors.insert(identity)
        defer { ancestors.remove(identity) }
        for name in names {
            let path = directory.appending(name)
            let st: stat
            do { st = try path.status() } catch {
                // Vanished since listing, or a dangling link.
                listing.problems.append(InputProblem(path: path.display, reason: error.reason))
                continue
            }
            if Self.isDirectory(st) {
                let child = FileIdentity(st)
                let next = window == nil ? [] : DatedFolder.level(String(decoding: name, as: UTF8.self), after: dated) ?? []
                if outside(next) {
                    pruned += 1
                    continue
                }
                if enter(path, child, &listing) { descend(path, child, dated: next, &listing) }
            } else if Self.isRegular(st) {
                addFile(path, st, &listing)
            } else {
                Self.note(path.display, "not a regular file (FIFO, socket or device); skipped", &listing)
            }
        }
    }
}
