#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writes to a file descriptor that notice a closed pipe instead of dying of SIGPIPE
/// (the executable ignores SIGPIPE): `deadletter records | head` then ends quietly with status 0.
public final class OutputStream: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let flushThreshold = 64 << 10
    /// True once the reader went away (EPIPE); further writes are dropped.
    public private(set) var closed = false
    /// The error that stopped writing, other than a closed pipe.
    public private(set) var failure: String?

    public init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    public static let standardOutput = OutputStream(fd: STDOUT_FILENO)

    public func write(_ text: String) {
        guard !closed else { return }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= flushThreshold { flush() }
    }

    public func write(bytes: UnsafeBufferPointer<UInt8>) {
        guard !closed else { return }
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { flush() }
    }

    public func flush() {
        guard !closed, !buffer.isEmpty else { return }
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n >= 0 { offset += n; continue }
                if errno == EINTR { continue }
                if errno != EPIPE { failure = String(cString: strerror(errno)) }
                closed = true
                return
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Messages for people on stderr, each prefixed `deadletter:`. Written unbuffered and escaped, so
/// file names and reasons from hostile input cannot drive the terminal.
public final class Diagnostics: @unchecked Sendable {
    private let fd: Int32
    public var quiet = false
    /// Erased before each message, so messages never land in the middle of the progress line.
    public var progress: ProgressLine?

    public init(fd: Int32 = STDERR_FILENO) { self.fd = fd }

    public func emit(_ message: String) {
        progress?.clear()
        let line = "deadletter: " + TerminalText.escape(message) + "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    public func error(_ message: String) { emit(message) }
    public func warning(_ message: String) { if !quiet { emit("warning: " + message) } }
    public func note(_ message: String) { if !quiet { emit("note: " + message) } }
}

@inline(__always)
func systemWrite(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, base, count)
    #else
    return Darwin.write(fd, base, count)
    #endif
}
