import CZlib

/// Inflates an in-memory gzip value (all members) into a buffer it keeps between calls, refusing to grow
/// past a cap: a payload is untrusted and a few KB of gzip can claim gigabytes. The buffer is reused and
/// never zero-filled, so inflating thousands of small payloads costs little beyond zlib itself.
public final class Inflater {
    public enum Outcome: Equatable, Sendable {
        case complete
        /// The output would exceed the cap; the output holds the first `cap` bytes.
        case exceedsCap(cap: Int)
        /// The data ended inside a member.
        case truncated
        case corrupt(String)
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var initialised = false
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes of the last inflation in `storage`.
    public private(set) var count = 0

    public init(initialCapacity: Int = 256 << 10) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        capacity = initialCapacity
        storage = .allocate(capacity: initialCapacity)
    }

    deinit {
        if initialised { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        storage.deallocate()
    }

    /// The bytes of the last inflation.
    public var output: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    private func grow(to minimum: Int, keeping used: Int) {
        var newCapacity = capacity
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: storage, count: used)
        storage.deallocate()
        storage = bigger
        capacity = newCapacity
    }

    public func inflate(_ input: UnsafeBufferPointer<UInt8>, cap: Int) -> Outcome {
        count = 0
        guard let base = input.baseAddress, input.count > 0 else { return .truncated }
        if initialised {
            inflateReset(stream)
        } else {
            guard deadletter_inflateInit2(stream, 16 + MAX_WBITS) == Z_OK else { return .corrupt("zlib could not start") }
            initialised = true
        }
        var consumed = 0
        var produced = 0
        while true {
            // Room for at most cap + 1 bytes: one byte past the cap proves the payload is over it.
            let limit = min(capacity, cap + 1)
            if produced == limit {
                if limit > cap {
                    count = cap
                    return .exceedsCap(cap: cap)
                }
                grow(to: min(capacity * 2, cap + 1), keeping: produced)
            }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base + consumed)
            stream.pointee.avail_in = uInt(input.count - consumed)
            stream.pointee.next_out = storage + produced
            stream.pointee.avail_out = uInt(min(capacity, cap + 1) - produced)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            consumed = input.count - Int(stream.pointee.avail_in)
            produced = min(capacity, cap + 1) - Int(stream.pointee.avail_out)
            if produced > cap {
                count = cap
                return .exceedsCap(cap: cap)
            }
            count = produced
            switch status {
            case Z_STREAM_END:
                if consumed < input.count && base[consumed] == 0x1f {
                    inflateReset(stream)
                    continue
                }
                return consumed < input.count ? .corrupt("data after the end of the gzip stream") : .complete
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if consumed >= input.count { return .truncated }
                continue
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                return .corrupt(message)
            }
        }
    }
}
