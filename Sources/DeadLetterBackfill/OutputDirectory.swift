import DeadLetterInput
import DeadLetterSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFileSystem
import Dispatch

/// The backfill output directory, which appears complete or not at all: files are written into a hidden
/// sibling with a name nobody can predict, which is renamed into place at the end.
///
/// What it may touch is narrow on purpose, because `--out` names a place that other people and programs
/// share: it never replaces what was not there at the start (an `--out` that appears or changes during the
/// run is left alone and the output is kept beside it), `--force` replaces only a previous backfill output
/// (a directory holding deadletter's `manifest.json`), and every removal works relative to directory
/// descriptors this run opened, never through a symbolic link, and only on directories whose identity
/// (device and inode) it recorded when it made or checked them.
public final class OutputDirectory: OutputFiles, @unchecked Sendable {
    // @unchecked: the mutable state (`committed`, `kept`, `interrupted`) is touched by the owning thread and
    // by an interrupt's cleanup (`removeUnfinished`, on the thread the executable's signal handling runs
    // on), and both make their changes on `cleanupQueue`, one at a time.

    public typealias Failure = BackfillFailure

    /// What `--out` was when the run started; the commit replaces only that.
    enum Start: Equatable {
        case absent
        case empty(FileIdentity)
        case previousOutput(FileIdentity)
    }

    public let destination: String
    private let parent: String
    private let base: String
    private let parentFD: Int32
    private let stagingName: String
    private let stagingFD: Int32
    private let stagingIdentity: FileIdentity
    let start: Start
    /// Interrupt cleanup and the final renames run here, one at a time: an interrupt during `commit` waits for it.
    private let cleanupQueue = DispatchQueue(label: "deadletter.output-cleanup")
    private var committed = false
    private var kept = false
    /// Set by `removeUnfinished`: the process is about to exit, and nothing may be put in place any more.
    private var interrupted = false
    private let atomicRenames: Bool

    public var staging: String { join(parent, stagingName) }

    /// Checks `destination` against the rules above and creates the staging directory beside it.
    /// `inputs` are the paths being read: an `--out` that is, contains or lies inside one is refused.
    /// `note` hears what was found and done about leftovers of earlier runs, also when the run is then refused.
    /// `home`: the user's home directory, which is never an output (the executable reads `$HOME`).
    public convenience init(destination: String, force: Bool, inputs: [String] = [], home: String? = nil,
                            note: (String) -> Void = { _ in }) throws(Failure) {
        try self.init(destination: destination, force: force, inputs: inputs, home: home, note: note, atomicRenames: true)
    }

    /// `atomicRenames: false` behaves as on a file system without RENAME_NOREPLACE and RENAME_EXCHANGE, so
    /// the tests reach the fallbacks on any machine.
    init(destination: String, force: Bool, inputs: [String], home: String? = nil, note: (String) -> Void, atomicRenames: Bool) throws(Failure) {
        self.atomicRenames = atomicRenames
        var path = destination
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard path != "/" else { throw .usage("--out '/' is the root directory; name a new or empty directory") }
        guard !path.isEmpty else { throw .usage("--out '\(destination)': name a new or empty directory") }
        self.destination = path
        if let slash = path.lastIndex(of: "/") {
            parent = slash == path.startIndex ? "/" : String(path[..<slash])
            base = String(path[path.index(after: slash)...])
        } else {
            parent = "."
            base = path
        }
        guard base != ".", base != ".." else { throw .usage("--out '\(destination)': name a new or empty directory, not '\(base)'") }
        try PathSafety.checkOutput(path, inputs: inputs, home: home)

        // Like `mkdir -p` for the folders above --out; the output itself still appears all at once.
        var folder = parent.hasPrefix("/") ? "/" : ""
        for part in parent.split(separator: "/") where part != "." {
            folder += (folder.isEmpty || folder.hasSuffix("/") ? "" : "/") + part
            mkdir(folder, 0o755)
        }
        parentFD = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parentFD >= 0 else { throw .io("cannot open '\(parent)': \(lastError())") }
        var cleanup = LeftoverCleanup(parentFD: parentFD, parent: parent, base: base)
        cleanup.run()
        cleanup.notes.forEach(note)

        do throws(Failure) {
            start = try Self.inspect(parentFD: parentFD, name: base, shown: path, force: force)
            (stagingName, stagingFD, stagingIdentity) = try Self.makeStaging(parentFD: parentFD, parent: parent, base: base)
        } catch {
            close(parentFD)
            throw error
        }
    }

    deinit {
        abandon()
        close(stagingFD)
        close(parentFD)
    }

    /// Writes a file made of several parts (header, items, footer) without joining them in memory.
    public func write(name: String, parts: [UnsafeBufferPointer<UInt8>]) throws(Failure) {
        try appender(name: name).writeWhole(parts)
    }

    /// A file in the staging directory written a piece at a time (rejects, which can be many). It holds no
    /// descriptor between writes: a split backfill has one per part, and open ones would run into the
    /// process's limit. Created (never over an existing name) when made; each flush opens it to append.
    public final class Appender {
        /// Opens the file with these flags, relative to its directory.
        private let open: (Int32) -> Int32
        private let shown: String
        private var buffer: [UInt8] = []

        init(name: String, shown: String, open: @escaping (Int32) -> Int32) throws(Failure) {
            precondition(!name.contains("/") && !name.hasPrefix("."), "file names are generated, never taken from records")
            self.shown = shown
            self.open = open
            let fd = open(O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw .io("cannot create '\(shown)': \(lastError())") }
            close(fd)
        }

        public func append(_ bytes: some Sequence<UInt8>) throws(Failure) {
            if buffer.isEmpty { buffer.reserveCapacity(64 << 10) }
            buffer.append(contentsOf: bytes)
            if buffer.count >= 64 << 10 { try flush() }
        }

        public func finish() throws(Failure) {
            try flush()
            let fd = try reopen()
            defer { close(fd) }
            if fsync(fd) != 0 { throw .io("cannot write '\(shown)': \(lastError())") }
        }

        private func reopen() throws(Failure) -> Int32 {
            let fd = open(O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw .io("cannot write '\(shown)': \(lastError())") }
            return fd
        }

        /// The whole file from its parts, with one open, then flushed to disk.
        fileprivate func writeWhole(_ parts: [UnsafeBufferPointer<UInt8>]) throws(Failure) {
            let fd = try reopen()
            defer { close(fd) }
            for part in parts where part.count > 0 { try write(part, to: fd) }
            if fsync(fd) != 0 { throw .io("cannot write '\(shown)': \(lastError())") }
        }

        private func write(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) {
            guard bytes.count > 0 else { return }
            let fd = try reopen()
            defer { close(fd) }
            try write(bytes, to: fd)
        }

        private func write(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) throws(Failure) {
            try writeAll(bytes, to: fd, shown: shown)
        }

        private func flush() throws(Failure) {
            try buffer.withUnsafeBufferPointer { b throws(Failure) in try write(b) }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Puts an existing file into the output under `name`, unchanged: a hard link where the file system
    /// allows one (the staging directory is beside the file's folder, so usually on its file system), else a copy.
    public func link(name: String, from path: String) throws(Failure) {
        precondition(!name.contains("/"), "one plain name, never a path")
        if linkat(AT_FDCWD, path, stagingFD, name, 0) == 0 { return }
        let bytes: [UInt8]
        do { bytes = try FileContents.read(path) } catch { throw .io("cannot copy '\(path)': \(error.reason)") }
        // Not through an Appender: the name is the existing file's, which may be hidden (`.DS_Store`).
        let shown = join(staging, name)
        let fd = openat(stagingFD, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create '\(shown)': \(lastError())") }
        defer { close(fd) }
        try bytes.withUnsafeBufferPointer { b throws(Failure) in try writeAll(b, to: fd, shown: shown) }
        if fsync(fd) != 0 { throw .io("cannot write '\(shown)': \(lastError())") }
    }

    public func appender(name: String) throws(Failure) -> Appender {
        let directory = stagingFD
        return try Appender(name: name, shown: join(staging, name)) { flags in openat(directory, name, flags, 0o644) }
    }

    /// A folder of the output (one part of a split backfill), made in the staging directory; its files
    /// appear with the rest or not at all. The name is made by the caller from record content, so it is
    /// checked here again: one plain name, never a path.
    public func folder(_ name: String) throws(Failure) -> Folder {
        precondition(!name.isEmpty && !name.contains("/") && !name.hasPrefix("."), "folder names are made safe before they get here")
        guard mkdirat(stagingFD, name, 0o755) == 0 else { throw .io("cannot create '\(join(staging, name))': \(lastError())") }
        return Folder(output: self, name: name, shown: join(staging, name))
    }

    /// A folder inside the output, written as the output is. It holds no descriptor: each file opens the
    /// folder (never through a link) for as long as it is written.
    public final class Folder: OutputFiles {
        private let output: OutputDirectory
        private let name: String
        private let shown: String

        fileprivate init(output: OutputDirectory, name: String, shown: String) {
            self.output = output
            self.name = name
            self.shown = shown
        }

        /// A file of the folder opened with `flags`, or -1.
        private static func open(_ output: OutputDirectory, _ folder: String, _ file: String, _ flags: Int32) -> Int32 {
            let directory = openat(output.stagingFD, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard directory >= 0 else { return -1 }
            defer { close(directory) }
            return openat(directory, file, flags, 0o644)
        }

        public func write(name file: String, parts: [UnsafeBufferPointer<UInt8>]) throws(Failure) {
            try appender(name: file).writeWhole(parts)
        }

        public func appender(name file: String) throws(Failure) -> Appender {
            let (output, folder) = (self.output, self.name)
            return try Appender(name: file, shown: shown + "/" + file) { flags in Folder.open(output, folder, file, flags) }
        }
    }

    /// Moves the finished directory into place, replacing only what `--out` was at the start.
    public func commit() throws(Failure) {
        let result: Result<Void, Failure> = cleanupQueue.sync {
            do throws(Failure) {
                try renameIntoPlace()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private func renameIntoPlace() throws(Failure) {
        guard !interrupted else { throw .io("interrupted") }
        // Shown with the usual mode only now: until the end nothing else could look in or plant anything.
        fchmod(stagingFD, 0o777 & ~Self.creationMask)
        let now = FileIdentity(parentFD: parentFD, name: base)
        switch start {
        case .absent:
            guard now == nil else { throw keep(because: "it did not exist when this run started and was created meanwhile") }
            if renameNoReplace(stagingName, base) != 0 {
                if Self.exists(errno) { throw keep(because: "it was created meanwhile") }
                // A file system without RENAME_NOREPLACE: a plain rename can only replace an empty directory.
                guard Self.unsupported(errno), renameat(parentFD, stagingName, parentFD, base) == 0 else {
                    if Self.exists(errno) { throw keep(because: "it was created meanwhile") }
                    throw keep(because: "cannot move the output there: \(lastError())", conflict: false)
                }
            }
        case .empty(let identity):
            guard now == identity, DirectoryTree.isEmpty(in: parentFD, name: base) else {
                throw keep(because: "it was an empty directory when this run started and has changed since")
            }
            // rename(2) replaces an empty directory and fails on a non-empty one: nothing can be lost.
            guard renameat(parentFD, stagingName, parentFD, base) == 0 else {
                if Self.exists(errno) { throw keep(because: "files appeared in it meanwhile") }
                throw keep(because: "cannot move the output there: \(lastError())", conflict: false)
            }
        case .previousOutput(let identity):
            guard now == identity, DirectoryTree.holdsManifest(in: parentFD, name: base) else {
                throw keep(because: "the previous output that --force was to replace was changed or replaced meanwhile")
            }
            try replace(previous: identity)
        }
        committed = true
        fsync(parentFD)
    }

    /// Swaps the new output for the previous one in one step where the file system can; elsewhere in two
    /// renames, the previous output waiting under a name that the next run recognises and restores. Either
    /// way, what was moved out of `--out` is checked to be the previous output the run inspected: another
    /// process may have put something else there since, and that is put back, never removed.
    private func replace(previous: FileIdentity) throws(Failure) {
        if exchange(stagingName, base) == 0 {
            guard FileIdentity(parentFD: parentFD, name: stagingName) == previous else {
                _ = exchange(stagingName, base)
                throw keep(because: "the previous output that --force was to replace was replaced meanwhile")
            }
            committed = true
            fsync(parentFD)
            _ = DirectoryTree.remove(in: parentFD, name: stagingName, identity: previous)
            return
        }
        guard Self.unsupported(errno) else {
            throw keep(because: "cannot replace it: \(lastError())", conflict: false)
        }
        // The previous output is locked while it is set aside, so a later run sees that this run still owns it.
        let previousFD = openat(parentFD, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        defer { if previousFD >= 0 { close(previousFD) } }
        var st = stat()
        guard previousFD >= 0, fstat(previousFD, &st) == 0, FileIdentity(st) == previous, flock(previousFD, LOCK_EX | LOCK_NB) == 0 else {
            throw keep(because: "the previous output that --force was to replace was replaced meanwhile")
        }
        let aside = ".\(base).deadletter-old-\(getpid())-\(RandomName.make())"
        guard renameat(parentFD, base, parentFD, aside) == 0 else {
            throw keep(because: "cannot replace it: \(lastError())", conflict: false)
        }
        guard FileIdentity(parentFD: parentFD, name: aside) == previous else {
            // Someone else's directory was moved aside: it goes back where it was.
            if renameNoReplace(aside, base) != 0, Self.unsupported(errno), FileIdentity(parentFD: parentFD, name: base) == nil {
                _ = renameat(parentFD, aside, parentFD, base)
            }
            throw keep(because: "the previous output that --force was to replace was replaced meanwhile")
        }
        guard renameat(parentFD, stagingName, parentFD, base) == 0 else {
            let why = lastError()
            if renameat(parentFD, aside, parentFD, base) == 0 {
                throw keep(because: "cannot move the output there: \(why)", conflict: false)
            }
            let failure = keep(because: "cannot move the output there (\(why)), nor put the previous output back; it is in '\(join(parent, aside))'", conflict: false)
            throw failure
        }
        committed = true
        fsync(parentFD)
        _ = DirectoryTree.remove(in: parentFD, name: aside, identity: previous)
    }

    /// Keeps the finished output under a visible name beside `--out` when it cannot be put in place: a
    /// conflict (exit 64) or a failed rename (exit 1). Never under a name the leftover cleanup matches.
    private func keep(because why: String, conflict: Bool = true) -> Failure {
        kept = true
        var place = staging
        for _ in 0..<8 {
            let name = "\(base).deadletter-\(RandomName.make())"
            if renameNoReplace(stagingName, name) == 0 {
                place = join(parent, name)
                break
            }
            if errno == EEXIST { continue }
            // Without RENAME_NOREPLACE: a name of eight random characters that is not there now.
            guard Self.unsupported(errno) else { break }
            if FileIdentity(parentFD: parentFD, name: name) == nil, renameat(parentFD, stagingName, parentFD, name) == 0 {
                place = join(parent, name)
                break
            }
        }
        let message = "--out '\(destination)' was not replaced: \(why). The finished output is in '\(place)'"
        return conflict ? .conflict(message + "; nothing in --out was touched") : .notPlaced(message)
    }

    private func renameNoReplace(_ from: String, _ to: String) -> Int32 {
        guard atomicRenames else {
            errno = EINVAL
            return -1
        }
        return deadletter_rename_noreplace(parentFD, from, parentFD, to)
    }

    private func exchange(_ a: String, _ b: String) -> Int32 {
        guard atomicRenames else {
            errno = EINVAL
            return -1
        }
        return deadletter_rename_exchange(parentFD, a, parentFD, b)
    }

    private static func exists(_ code: Int32) -> Bool { code == EEXIST || code == ENOTEMPTY || code == ENOTDIR }
    private static func unsupported(_ code: Int32) -> Bool { code == EINVAL || code == ENOSYS || code == ENOTSUP }

    /// The process's file creation mask, read once before any thread that creates files is started
    /// (`umask` can only be read by setting it).
    private static let creationMask: mode_t = {
        let mask = umask(0o077)
        umask(mask)
        return mask
    }()

    /// Removes the staging directory unless it was put in place or kept (on error, and at the end).
    public func abandon() {
        cleanupQueue.sync {
            if !committed && !kept { _ = DirectoryTree.remove(in: parentFD, name: stagingName, identity: stagingIdentity) }
        }
    }

    /// For an interrupt, from any thread, just before the process exits: removes the staging directory
    /// unless the output was put in place or kept, and refuses any later commit. Waits for a commit under way.
    public func removeUnfinished() {
        cleanupQueue.sync {
            interrupted = true
            guard !committed && !kept else { return }
            // The writing thread may still be adding files: removing until the directory is gone wins the race.
            for _ in 0..<100 where !DirectoryTree.remove(in: parentFD, name: stagingName, identity: stagingIdentity) { usleep(1000) }
        }
    }

    /// What `--out` is now, checked the way the commit will check it again.
    private static func inspect(parentFD: Int32, name: String, shown: String, force: Bool) throws(Failure) -> Start {
        var st = stat()
        guard fstatat(parentFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return .absent }
            throw .io("cannot look at '\(shown)': \(lastError())")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            let what = (st.st_mode & S_IFMT) == S_IFLNK ? "is a symbolic link" : "exists and is not a directory"
            throw .usage("--out '\(shown)' \(what); name a new or empty directory")
        }
        let identity = FileIdentity(st)
        if DirectoryTree.isEmpty(in: parentFD, name: name) { return .empty(identity) }
        guard force else {
            throw .usage("--out '\(shown)' is not empty; use --force to replace a previous backfill output there")
        }
        guard DirectoryTree.holdsManifest(in: parentFD, name: name) else {
            throw .usage("--out '\(shown)' holds no deadletter manifest.json: --force replaces only a previous backfill output, never another directory; choose a new --out")
        }
        return .previousOutput(identity)
    }

    private static func makeStaging(parentFD: Int32, parent: String, base: String) throws(Failure) -> (String, Int32, FileIdentity) {
        _ = creationMask
        for _ in 0..<16 {
            let suffix = "\(getpid())-\(RandomName.make())"
            // Made under a name the cleanup of other runs never takes, and given the staging name only once
            // locked: between mkdir and flock another run starting beside it would otherwise find an
            // unlocked staging directory, take it for a leftover and remove it.
            let unlocked = ".\(base).deadletter-new-\(suffix)", name = ".\(base).deadletter-partial-\(suffix)"
            // Private (0700) until the commit, so nothing can be planted in it or read from it meanwhile.
            guard mkdirat(parentFD, unlocked, 0o700) == 0 else {
                if errno == EEXIST { continue }
                throw .io("cannot create a directory beside '\(join(parent, base))': \(lastError())")
            }
            let fd = openat(parentFD, unlocked, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var st = stat()
            // Locked for the whole run: a later run's cleanup takes only what no live run holds.
            guard fd >= 0, fstat(fd, &st) == 0, flock(fd, LOCK_EX | LOCK_NB) == 0,
                  deadletter_rename_noreplace(parentFD, unlocked, parentFD, name) == 0
                    || (errno == EINVAL || errno == ENOSYS) && renameat(parentFD, unlocked, parentFD, name) == 0 else {
                let why = lastError()
                if fd >= 0 { close(fd) }
                unlinkat(parentFD, unlocked, AT_REMOVEDIR)
                throw .io("cannot open '\(join(parent, unlocked))': \(why)")
            }
            return (name, fd, FileIdentity(st))
        }
        throw .io("cannot create a directory beside '\(join(parent, base))': too many name clashes")
    }
}

/// Removal and inspection of directories relative to a directory descriptor: a symbolic link is never
/// followed, at the top or below, so a link planted anywhere cannot lead a removal out of the tree.
enum DirectoryTree {
    /// Removes the directory `name` in `parentFD` and everything below it. With `identity`, only if it is
    /// still that directory. Returns true when it is gone (or was never there).
    @discardableResult
    static func remove(in parentFD: Int32, name: String, identity: FileIdentity? = nil, depth: Int = 0) -> Bool {
        // deadletter writes no folders: a deep tree here was planted, and is left rather than followed down.
        guard depth < 32 else { return false }
        let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT }
        if let identity {
            var st = stat()
            guard fstat(fd, &st) == 0, FileIdentity(st) == identity else {
                close(fd)
                return false
            }
        }
        removeContents(of: fd, depth: depth)
        return unlinkat(parentFD, name, AT_REMOVEDIR) == 0 || errno == ENOENT
    }

    /// Empties the directory open as `fd` (and closes it).
    private static func removeContents(of fd: Int32, depth: Int) {
        let names = entries(of: fd)
        for name in names where unlinkat(fd, name, 0) != 0 {
            // A directory: unlink fails with EISDIR on Linux, EPERM elsewhere.
            if errno == EISDIR || errno == EPERM { remove(in: fd, name: name, depth: depth + 1) }
        }
        close(fd)
    }

    /// The names in the directory open as `fd`, without "." and ".."; `fd` stays open.
    static func entries(of fd: Int32) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func isEmpty(in parentFD: Int32, name: String) -> Bool {
        let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return entries(of: fd).isEmpty
    }

    /// True when the directory holds a `manifest.json` that deadletter wrote (a regular file, not a link,
    /// naming the backfill schema near its start).
    static func holdsManifest(in parentFD: Int32, name: String) -> Bool {
        let dir = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { return false }
        defer { close(dir) }
        let fd = openat(dir, "manifest.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        var head = [UInt8](repeating: 0, count: 512)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard n > 0 else { return false }
        return String(decoding: head[0..<n], as: UTF8.self).contains(BackfillPlan.schemaMember)
    }
}

/// Leftovers of earlier runs into the same `--out` whose process no longer exists: a staging directory
/// (killed with SIGKILL, a crash, a power cut) is removed; a previous output set aside by an interrupted
/// `--force` is put back when `--out` is missing, else removed. Each is said in a note.
struct LeftoverCleanup {
    let parentFD: Int32
    let parent: String
    let base: String
    var notes: [String] = []

    mutating func run() {
        let dir = dup(parentFD)
        guard dir >= 0 else { return }
        let names = DirectoryTree.entries(of: dir).sorted()
        close(dir)
        let partial = ".\(base).deadletter-partial-", old = ".\(base).deadletter-old-"
        for name in names {
            if let pid = Self.processID(name, after: old) {
                handle(name, pid: pid, setAside: true)
            } else if let pid = Self.processID(name, after: partial) {
                handle(name, pid: pid, setAside: false)
            }
        }
    }

    private mutating func handle(_ name: String, pid: pid_t, setAside: Bool) {
        let shown = join(parent, name)
        // A run holds a lock on its staging directory (and on an output it set aside) until it ends, so a
        // lock that can be taken means the run is over, whichever machine or process namespace it ran in.
        let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP || errno == ENOTDIR {
                notes.append("'\(shown)' has the name of deadletter's working directories but is not a directory; left alone")
            }
            return
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            notes.append("'\(shown)' belongs to another deadletter run that is still going (process \(pid)); left alone")
            return
        }
        let identity = FileIdentity(st)
        if setAside {
            if FileIdentity(parentFD: parentFD, name: base) == nil {
                let moved = deadletter_rename_noreplace(parentFD, name, parentFD, base) == 0
                    || ((errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) && renameat(parentFD, name, parentFD, base) == 0)
                if moved {
                    notes.append("restored '\(join(parent, base))' from '\(shown)': a --force replacement by process \(pid) was interrupted before it finished")
                }
                return
            }
            // The replacement finished (--out holds a backfill output): this is the output it replaced.
            // Anything else in --out now is not known to be its successor, so the old one is kept.
            guard DirectoryTree.holdsManifest(in: parentFD, name: base) else {
                notes.append("'\(shown)' holds the output an interrupted --force (process \(pid)) set aside, and --out is not a backfill output now; left alone for you to look at")
                return
            }
        }
        if DirectoryTree.remove(in: parentFD, name: name, identity: identity) {
            let process = "process \(pid), which is no longer running"
            notes.append(setAside ? "removed '\(shown)', the previous output that an interrupted --force (\(process)) had set aside"
                                  : "removed '\(shown)', left by an interrupted run (\(process))")
        }
    }

    /// The process id in `.<out>.deadletter-partial-<pid>[-<random>]`, or nil when `name` is not such a name.
    static func processID(_ name: String, after prefix: String) -> pid_t? {
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, digits.count == rest.count || rest[digits.endIndex] == "-",
              let pid = pid_t(digits), pid > 0 else { return nil }
        return pid
    }
}

/// Eight characters from [A-Za-z0-9], from the system's random source: names nobody can guess in advance.
enum RandomName {
    static func make() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}

/// A path for messages: as the user named `--out`, so a relative one stays relative.
private func join(_ parent: String, _ name: String) -> String {
    switch parent {
    case "/": return "/" + name
    case ".": return name
    default: return parent + "/" + name
    }
}

/// All of `bytes` to `fd`, through short writes and interruptions.
private func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32, shown: String) throws(BackfillFailure) {
    var offset = 0
    while offset < bytes.count {
        let n = systemWrite(fd, UnsafeRawPointer(bytes.baseAddress! + offset), bytes.count - offset)
        if n > 0 { offset += n; continue }
        if n < 0 && errno == EINTR { continue }
        throw .io("cannot write '\(shown)': \(lastError())")
    }
}

private func lastError() -> String { String(cString: strerror(errno)) }
