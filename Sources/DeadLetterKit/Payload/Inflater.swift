import CZlib

/// Inflates an in-memory gzip value (all members) into a reused buffer, refusing to grow past a cap:
/// a payload is untrusted and a few KB of gzip can claim gigabytes.
public final class Inflater {
    public enum Outcome: Equatable, Sendable {
        case complete
        /// The output would exceed the cap; `output` holds the first `cap` bytes.
        case exceedsCap(cap: Int)
        /// The data ended inside a member.
        case truncated
        case corrupt(String)
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var initialised = false

    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if initialised { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    public func inflate(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], cap: Int) -> Outcome {
        output.removeAll(keepingCapacity: true)
        guard let base = input.baseAddress, input.count > 0 else { return .truncated }
        if initialised {
            inflateReset(stream)
        } else {
            guard deadletter_inflateInit2(stream, 16 + MAX_WBITS) == Z_OK else { return .corrupt("zlib could not start") }
            initialised = true
        }
        var consumed = 0
        var chunk = max(4096, min(cap, input.count * 4))
        var produced = 0
        while true {
            if output.count - produced < 1 {
                let room = min(chunk, cap + 1 - produced)
                if room <= 0 { return .exceedsCap(cap: cap) }
                output.append(contentsOf: repeatElement(0, count: room))
                chunk = min(chunk * 2, 8 << 20)
            }
            let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: base + consumed)
                stream.pointee.avail_in = uInt(input.count - consumed)
                stream.pointee.next_out = out.baseAddress! + produced
                stream.pointee.avail_out = uInt(out.count - produced)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                consumed = input.count - Int(stream.pointee.avail_in)
                produced = out.count - Int(stream.pointee.avail_out)
                return status
            }
            if produced > cap {
                output.removeSubrange(cap...)
                return .exceedsCap(cap: cap)
            }
            switch status {
            case Z_STREAM_END:
                if consumed < input.count && base[consumed] == 0x1f {
                    inflateReset(stream)
                    continue
                }
                output.removeSubrange(produced...)
                return consumed < input.count ? .corrupt("data after the end of the gzip stream") : .complete
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if consumed >= input.count {
                    output.removeSubrange(produced...)
                    return .truncated
                }
                continue
            default:
                output.removeSubrange(produced...)
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                return .corrupt(message)
            }
        }
    }
}
