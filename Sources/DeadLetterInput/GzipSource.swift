import CZlib

/// Streams the inflated bytes of a gzip source, member after member (`cat a.gz b.gz` is valid gzip).
/// Damage is reported after the bytes before it were handed out, so the records before it still count.
public final class GzipSource: ByteSource {
    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var upstreamEOF = false
    private var inMember = true
    private var finished = false
    private var consumedCompressed: Int64 = 0

    init(upstream: ByteSource, inputChunk: Int = 128 * 1024) {
        self.upstream = upstream
        self.input = .allocate(byteCount: inputChunk, alignment: 16)
        self.stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 16 + MAX_WBITS: gzip wrapper only; the caller sniffed the magic bytes already.
        _ = deadletter_inflateInit2(stream, 16 + MAX_WBITS)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    private func refillInput() throws(InputError) {
        if inputStart < inputEnd { return }
        inputStart = 0
        inputEnd = try upstream.read(into: input)
        if inputEnd == 0 { upstreamEOF = true }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let error = deferredError {
            deferredError = nil
            throw error
        }
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var produced = 0
        while produced < buffer.count {
            do {
                try refillInput()
            } catch {
                // Hand out what was inflated before the read failed; the error follows on the next call.
                finished = true
                if produced > 0 { deferredError = error; return produced }
                throw error
            }
            if upstreamEOF {
                finished = true
                if inMember {
                    if produced > 0 { deferredError = .truncatedGzip(compressedOffset: consumedCompressed); return produced }
                    throw .truncatedGzip(compressedOffset: consumedCompressed)
                }
                return produced
            }
            if !inMember {
                // Between members: another member must start here, else it is trailing garbage.
                // A run of NUL bytes after the last member (tape-style padding) is tolerated by gzip(1), but
                // we still report it: every byte read is accounted for.
                let first = input.load(fromByteOffset: inputStart, as: UInt8.self)
                if first != 0x1f {
                    finished = true
                    var garbage = Int64(inputEnd - inputStart)
                    inputStart = inputEnd
                    while true {
                        let n = try upstream.read(into: input)
                        if n == 0 { break }
                        garbage += Int64(n)
                    }
                    let error = InputError.trailingGarbage(bytes: garbage)
                    if produced > 0 { deferredError = error; return produced }
                    throw error
                }
                inflateReset(stream)
                inMember = true
            }
            let availableIn = inputEnd - inputStart
            stream.pointee.next_in = input.baseAddress!.advanced(by: inputStart).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(availableIn)
            stream.pointee.next_out = out.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(buffer.count - produced)
            let status = inflate(stream, Z_NO_FLUSH)
            let usedIn = availableIn - Int(stream.pointee.avail_in)
            inputStart += usedIn
            consumedCompressed += Int64(usedIn)
            produced = buffer.count - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                inMember = false
            default:
                finished = true
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                let error = InputError.corruptGzip(message)
                if produced > 0 { deferredError = error; return produced }
                throw error
            }
        }
        return produced
    }

    /// An error met while filling a buffer is raised on the next call, after the good bytes are delivered.
    private var deferredError: InputError?
}
