import Dispatch

/// Reads its upstream (usually the gzip inflater) on another thread, a few chunks ahead, so inflating and
/// parsing one large stream use two cores. Memory is bounded: `slots` chunks of `chunkSize` bytes.
public final class PrefetchSource: ByteSource {
    /// State shared with the producer thread; the producer holds only this, never the source itself.
    private final class Shared: @unchecked Sendable {
        let chunkSize: Int
        var chunks: [UnsafeMutableRawBufferPointer]
        var lengths: [Int]
        var errors: [InputError?]
        let filled = DispatchSemaphore(value: 0)
        let empty: DispatchSemaphore
        var cancelled = false
        let lock = Lock()

        init(slots: Int, chunkSize: Int) {
            self.chunkSize = chunkSize
            chunks = (0..<slots).map { _ in .allocate(byteCount: chunkSize, alignment: 16) }
            lengths = Array(repeating: 0, count: slots)
            errors = Array(repeating: nil, count: slots)
            empty = DispatchSemaphore(value: slots)
        }

        deinit { for c in chunks { c.deallocate() } }
    }

    private let shared: Shared
    private var slot = 0
    private var offset = 0
    private var available = 0
    private var finished = false

    public init(upstream: ByteSource, slots: Int = 3, chunkSize: Int = 1 << 20) {
        let shared = Shared(slots: slots, chunkSize: chunkSize)
        self.shared = shared
        // The upstream is used by the producer thread only, from here on.
        nonisolated(unsafe) let source = upstream
        DispatchQueue.global().async {
            var index = 0
            while true {
                shared.empty.wait()
                if shared.lock.withLock({ shared.cancelled }) { return }
                let chunk = shared.chunks[index]
                var filled = 0
                var failure: InputError?
                while filled < shared.chunkSize {
                    do throws(InputError) {
                        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[filled...]))
                        if n == 0 { break }
                        filled += n
                    } catch {
                        failure = error
                        break
                    }
                }
                shared.lock.withLock {
                    shared.lengths[index] = filled
                    shared.errors[index] = failure
                }
                shared.filled.signal()
                // A short chunk means the end (or an error): the consumer stops after it.
                if filled < shared.chunkSize { return }
                index = (index + 1) % shared.chunks.count
            }
        }
    }

    deinit {
        shared.lock.withLock { shared.cancelled = true }
        shared.empty.signal()
    }

    /// An error met by the producer, raised once the bytes before it were handed out.
    private var endError: InputError?

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if available == 0 {
            if finished {
                if let error = endError {
                    endError = nil
                    throw error
                }
                return 0
            }
            shared.filled.wait()
            let (length, error) = shared.lock.withLock { (shared.lengths[slot], shared.errors[slot]) }
            offset = 0
            available = length
            if length < shared.chunkSize {
                finished = true
                endError = error
            }
            if length == 0 { return try read(into: buffer) }
        }
        let n = min(buffer.count, available)
        buffer.baseAddress!.copyMemory(from: shared.chunks[slot].baseAddress! + offset, byteCount: n)
        offset += n
        available -= n
        if available == 0 && !finished {
            slot = (slot + 1) % shared.chunks.count
            shared.empty.signal()
        }
        return n
    }
}
