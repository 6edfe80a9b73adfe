#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// The backfill output directory, which appears complete or not at all: files are written into a hidden
/// sibling directory that is renamed into place at the end. SIGINT and SIGTERM remove the sibling first.
public final class OutputDirectory: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case usage(String)
        case io(String)
        public var description: String {
            switch self {
            case .usage(let m), .io(let m): return m
            }
        }
    }

    public let destination: String
    public let staging: String
    private let parent: String
    private let base: String
    private var signalSources: [DispatchSourceSignal] = []
    /// Signal cleanup and the final renames run here, one at a time: a signal during `commit` waits for it.
    private let cleanupQueue = DispatchQueue(label: "deadletter.output-cleanup")
    private var committed = false

    /// Checks `destination` and creates the staging directory beside it.
    public init(destination: String, force: Bool) throws(Failure) {
        var path = destination
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard !path.isEmpty, path != "." , path != "/" else { throw .usage("--out '\(destination)': name a new or empty directory") }
        self.destination = path
        if let slash = path.lastIndex(of: "/") {
            parent = slash == path.startIndex ? "/" : String(path[..<slash])
            base = String(path[path.index(after: slash)...])
        } else {
            parent = "."
            base = path
        }
        staging = (parent == "/" ? "" : parent) + "/." + base + ".deadletter-partial-\(getpid())"
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .usage("--out '\(path)' exists and is not a directory") }
            if !Self.isEmptyDirectory(path) && !force {
                throw .usage("--out '\(path)' is not empty; use --force to replace it")
            }
        }
        Self.removeTree(staging)
        // Like `mkdir -p` for the folders above --out; the output itself still appears all at once.
        var folder = parent.hasPrefix("/") ? "/" : ""
        for part in parent.split(separator: "/") where part != "." {
            folder += (folder.isEmpty || folder.hasSuffix("/") ? "" : "/") + part
            mkdir(folder, 0o755)
        }
        guard mkdir(staging, 0o755) == 0 else {
            throw .io("cannot create '\(staging)': \(String(cString: strerror(errno)))")
        }
        installSignalCleanup()
    }

    deinit {
        if !committed { Self.removeTree(staging) }
    }

    /// Writes a whole file into the staging directory and flushes it to disk.
    public func write(name: String, bytes: [UInt8]) throws(Failure) {
        try bytes.withUnsafeBufferPointer { b throws(Failure) in try write(name: name, parts: [b]) }
    }

    /// Writes a file made of several parts (header, items, footer) without joining them in memory.
    public func write(name: String, parts: [UnsafeBufferPointer<UInt8>]) throws(Failure) {
        precondition(!name.contains("/") && !name.hasPrefix("."), "file names are generated, never taken from records")
        let path = staging + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        for part in parts where part.count > 0 {
            var offset = 0
            while offset < part.count {
                let n = systemWrite(fd, UnsafeRawPointer(part.baseAddress! + offset), part.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                throw .io("cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        if fsync(fd) != 0 { throw .io("cannot write '\(path)': \(String(cString: strerror(errno)))") }
    }

    /// A file in the staging directory written a piece at a time (rejects, which can be many).
    public final class Appender {
        private let fd: Int32
        private let path: String
        private var buffer: [UInt8] = []

        init(path: String) throws(Failure) {
            self.path = path
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .io("cannot create '\(path)': \(String(cString: strerror(errno)))") }
            buffer.reserveCapacity(64 << 10)
        }

        deinit { close(fd) }

        public func append(_ bytes: some Sequence<UInt8>) throws(Failure) {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 64 << 10 { try flush() }
        }

        public func finish() throws(Failure) {
            try flush()
            if fsync(fd) != 0 { throw .io("cannot write '\(path)': \(String(cString: strerror(errno)))") }
        }

        private func flush() throws(Failure) {
            var offset = 0
            while offset < buffer.count {
                let n = buffer.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                throw .io("cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    public func appender(name: String) throws(Failure) -> Appender {
        precondition(!name.contains("/") && !name.hasPrefix("."), "file names are generated, never taken from records")
        return try Appender(path: staging + "/" + name)
    }

    /// Moves the finished directory into place (replacing an old one under --force).
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
        var st = stat()
        var old: String?
        if lstat(destination, &st) == 0 {
            let aside = (parent == "/" ? "" : parent) + "/." + base + ".deadletter-old-\(getpid())"
            Self.removeTree(aside)
            guard rename(destination, aside) == 0 else {
                throw .io("cannot replace '\(destination)': \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(staging, destination) == 0 else {
            let why = String(cString: strerror(errno))
            if let old { _ = rename(old, destination) }
            throw .io("cannot move the output into '\(destination)': \(why)")
        }
        committed = true
        if let old { Self.removeTree(old) }
        for source in signalSources { source.cancel() }
    }

    /// Removes the staging directory (on error).
    public func abandon() {
        Self.removeTree(staging)
        for source in signalSources { source.cancel() }
    }

    private func installSignalCleanup() {
        let staging = self.staging
        // Dispatch receives the signals only while they are blocked for the threads (Linux: signalfd);
        // threads started after this inherit the mask.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        for (sig, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: cleanupQueue)
            source.setEventHandler {
                // The main thread may still be writing: removing until the directory is gone wins the race.
                for _ in 0..<100 where Self.removeTree(staging) == false { usleep(1000) }
                _exit(status)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    static func isEmptyDirectory(_ path: String) -> Bool {
        guard let dir = opendir(path) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    /// Removes a directory and everything below it (links are removed, never followed). Returns true when
    /// it is gone.
    @discardableResult
    static func removeTree(_ path: String) -> Bool {
        if let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names {
                let child = path + "/" + name
                var st = stat()
                if lstat(child, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                    removeTree(child)
                } else {
                    unlink(child)
                }
            }
        }
        return rmdir(path) == 0 || errno == ENOENT
    }
}
