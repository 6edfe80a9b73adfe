#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a sink still takes bytes.
public enum SinkState: Equatable, Sendable {
    case open
    /// The reader went away (EPIPE): not an error, `deadletter records | head` ends quietly.
    case closed
    /// Writing failed for another reason (a full disk, EFBIG): the run must say so and fail.
    case failed(String)
}

/// Where a job's output ends up: standard output, or memory in tests. Jobs write through a
/// `BufferedOutput` in front of it, so a sink is called once per 64 KiB, never once per record, and the
/// per-record writes stay direct calls on one final class.
///
/// Not `Sendable`: a job writes its output from the one thread that runs it.
public protocol TextSink: AnyObject {
    /// Takes all of `bytes`, or stops for good; `state` then says why.
    func write(_ bytes: UnsafeRawBufferPointer)
    var state: SinkState { get }
}

/// A file descriptor that notices a closed pipe instead of dying of SIGPIPE (the executable ignores SIGPIPE).
public final class FileDescriptorSink: TextSink {
    private let fd: Int32
    public private(set) var state = SinkState.open

    public init(fd: Int32) { self.fd = fd }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard state == .open, let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, base + offset, bytes.count - offset)
            if n >= 0 { offset += n; continue }
            if errno == EINTR { continue }
            state = errno == EPIPE ? .closed : .failed(String(cString: strerror(errno)))
            return
        }
    }
}

/// Keeps everything written, for running a job in-process and comparing with the binary's stdout.
public final class MemorySink: TextSink {
    public private(set) var bytes: [UInt8] = []
    public private(set) var state = SinkState.open
    /// Closes after this many bytes, like a reader that goes away (`| head -c`), to test how jobs stop.
    private let capacity: Int

    public init(closingAfter capacity: Int = .max) { self.capacity = capacity }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public func write(_ chunk: UnsafeRawBufferPointer) {
        guard state == .open else { return }
        let room = capacity - bytes.count
        bytes.append(contentsOf: chunk.prefix(room))
        if chunk.count > room { state = .closed }
    }
}

/// The 64 KiB buffer every job writes through. Once the sink stops taking bytes, further writes are dropped
/// and `closed` tells the job to stop reading.
public final class BufferedOutput {
    public let sink: any TextSink
    private var buffer: [UInt8] = []
    private let flushThreshold = 64 << 10
    /// True once the sink stopped taking bytes (reader gone or writing failed); the sink says which.
    public private(set) var closed = false

    public init(_ sink: any TextSink) {
        self.sink = sink
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    /// Runs `body` with a buffer in front of `sink` and hands the sink what is left once it returns.
    public static func writing<Result, Failure: Error>(
        to sink: any TextSink, _ body: (BufferedOutput) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let output = BufferedOutput(sink)
        let result = try body(output)
        output.flush()
        return result
    }

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
        buffer.withUnsafeBytes { sink.write($0) }
        buffer.removeAll(keepingCapacity: true)
        closed = sink.state != .open
    }
}
