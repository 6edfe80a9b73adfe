import DeadLetterSupport
/// Reads its upstream (usually the gzip inflater) on a thread of its own, a few chunks ahead, so inflating
/// and parsing one large stream use two cores. Memory is bounded: `slots` chunks of `chunkSize` bytes.
public final class PrefetchSource: ByteSource {
    /// State shared with the producer thread; the producer holds only this, never the source itself.
    /// Chunks are filled and handed out in ring order: the producer may fill the next one while fewer than
    /// all are waiting to be read.
    private final class Shared: @unchecked Sendable {
        // @unchecked: `ready`, `lengths`, `errors` and `cancelled` are touched only under `condition`; a
        // chunk's bytes belong to the producer until it is counted in `ready`, then to the consumer until
        // it is released.
        let chunkSize: Int
        let chunks: [UnsafeMutableRawBufferPointer]
        var lengths: [Int]
        var errors: [InputError?]
        var ready = 0
        var cancelled = false
        let condition = ConditionLock()

        init(slots: Int, chunkSize: Int) {
            self.chunkSize = chunkSize
            chunks = (0..<slots).map { _ in .allocate(byteCount: chunkSize, alignment: 16) }
            lengths = Array(repeating: 0, count: slots)
            errors = Array(repeating: nil, count: slots)
        }

        deinit { for c in chunks { c.deallocate() } }

        /// Producer: waits for a free slot; false once the consumer is gone.
        func awaitFreeSlot() -> Bool {
            condition.withLock {
                while ready == chunks.count && !cancelled { condition.wait() }
                return !cancelled
            }
        }

        func publish(_ index: Int, length: Int, error: InputError?) {
            condition.withLock {
                lengths[index] = length
                errors[index] = error
                ready += 1
                condition.broadcast()
            }
        }

        /// Consumer: waits for the chunk in `index` to be filled.
        func awaitChunk(_ index: Int) -> (length: Int, error: InputError?) {
            condition.withLock {
                while ready == 0 { condition.wait() }
                return (lengths[index], errors[index])
            }
        }

        func release() {
            condition.withLock {
                ready -= 1
                condition.broadcast()
            }
        }

        func cancel() {
            condition.withLock {
                cancelled = true
                condition.broadcast()
            }
        }
    }

    private let shared: Shared
    private let producer: OwnedThread
    private var slot = 0
    private var offset = 0
    private var available = 0
    private var finished = false

    public init(upstream: ByteSource, slots: Int = 3, chunkSize: Int = 1 << 20) {
        let shared = Shared(slots: slots, chunkSize: chunkSize)
        self.shared = shared
        // The upstream is used by the producer thread only, from here on.
        nonisolated(unsafe) let source = upstream
        producer = OwnedThread {
            var index = 0
            while shared.awaitFreeSlot() {
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
                shared.publish(index, length: filled, error: failure)
                // A short chunk means the end (or an error): the consumer stops after it.
                if filled < shared.chunkSize { return }
                index = (index + 1) % shared.chunks.count
            }
        }
    }

    deinit {
        if finished {
            // The producer handed out its last chunk and returned, or is about to.
            producer.join()
            return
        }
        shared.cancel()
        // Stopped early (a closed pipe downstream): the producer may be blocked reading a pipe that never
        // ends, so it is left to notice the cancellation after its current read rather than waited for.
        producer.detach()
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
            let (length, error) = shared.awaitChunk(slot)
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
            shared.release()
        }
        return n
    }
}
