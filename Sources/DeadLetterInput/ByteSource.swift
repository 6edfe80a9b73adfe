import DeadLetterSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull-based stream of bytes: the first stage of bytes → frames → records.
/// Reference type because the gzip stage owns a zlib stream that must not move in memory.
public protocol ByteSource: AnyObject {
    /// Fills `buffer` from the start with up to `buffer.count` bytes; returns 0 only at end of input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

/// Why an input could not be read (completely). Each case reads as a sentence after the file name.
public enum InputError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(String)
    case readFailed(String)
    case truncatedGzip(compressedOffset: Int64)
    case corruptGzip(String)
    case trailingGarbage(bytes: Int64)
    case unsupportedCompression(String)

    public var description: String {
        switch self {
        case .cannotOpen(let why): return "cannot open: \(why)"
        case .readFailed(let why): return "read failed: \(why)"
        case .truncatedGzip(let offset):
            return "truncated gzip stream: input ended inside compressed data after \(offset) bytes; records before the damage were counted"
        case .corruptGzip(let why):
            return "corrupt gzip stream (\(why)); records before the damage were counted"
        case .trailingGarbage(let bytes):
            return "\(bytes) bytes after the end of the gzip data are not gzip and were not read"
        case .unsupportedCompression(let name):
            return "\(name) compressed input is not supported yet; decompress it first (for example with `unzip -p`)"
        }
    }
}

/// Reads a file descriptor; counts the bytes it hands out so `bytesRead` reflects the input as stored.
public final class FileDescriptorSource: ByteSource {
    private let fd: Int32
    private let closeOnDeinit: Bool
    public private(set) var bytesRead: Int64 = 0
    /// Where to count the bytes for the progress line, if one is drawn.
    package var progress: ProgressCounters?

    public init(fd: Int32, closeOnDeinit: Bool) {
        self.fd = fd
        self.closeOnDeinit = closeOnDeinit
    }

    deinit { if closeOnDeinit { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = systemRead(fd, base, buffer.count)
            if n >= 0 {
                bytesRead += Int64(n)
                progress?.addBytes(n)
                return n
            }
            if errno == EINTR { continue }
            throw .readFailed(String(cString: strerror(errno)))
        }
    }
}

/// Replays bytes that were already read to sniff the compression, then continues with the source.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var offset = 0
    private let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if offset < prefix.count {
            let n = min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
            offset += n
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// The compression of an input, recognised by its first bytes, never by its name.
public enum Compression: String, Sendable {
    case none, gzip, zip, snappy

    static func sniff(_ head: [UInt8]) -> Compression {
        if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b { return .gzip }
        if head.count >= 4, head[0] == 0x50, head[1] == 0x4b, head[2] == 0x03, head[3] == 0x04 { return .zip }
        let snappyMagic: [UInt8] = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]
        if head.count >= 8, Array(head[0..<8]) == snappyMagic { return .snappy }
        return .none
    }
}

/// Opens the decoded byte stream of a raw source: sniffs the first bytes and inserts an inflater for gzip.
public enum DecodedStream {
    public static func open(_ raw: ByteSource) throws(InputError) -> (ByteSource, Compression) {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { scratch.deallocate() }
        var filled = 0
        while filled < scratch.count {
            let n = try raw.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[filled...]))
            if n == 0 { break }
            filled += n
        }
        let head = Array(scratch[0..<filled])
        let compression = Compression.sniff(head)
        let replay = PrefixedSource(prefix: head, rest: raw)
        switch compression {
        case .none: return (replay, .none)
        case .gzip: return (GzipSource(upstream: replay), .gzip)
        case .zip: throw .unsupportedCompression("ZIP")
        case .snappy: throw .unsupportedCompression("Snappy")
        }
    }
}

/// Bytes already in memory, handed out in reads of at most `chunk` bytes (small chunks exercise the
/// same boundary handling as a slow pipe).
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private let chunk: Int
    public private(set) var offset = 0

    public init(_ bytes: [UInt8], chunk: Int = 1 << 20) {
        self.bytes = bytes
        self.chunk = max(1, chunk)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let n = min(buffer.count, chunk, bytes.count - offset)
        if n <= 0 { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
