import DeadLetterInput
import DeadLetterSupport

/// Carries a body from an async producer (an HTTP download) to the engine's reader thread, which reads it as
/// a `ByteSource` and blocks while it is empty. At most `capacity` bytes wait: past that the producer is
/// suspended, so it stops reading the connection (back-pressure) and memory stays bounded per object.
public final class ByteChannel: ByteSource, @unchecked Sendable {
    // @unchecked: every stored var is touched only under `condition`, but `current`/`currentOffset`, which
    // belong to the single consumer.
    private let condition = ConditionLock()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var buffered = 0
    private var finished = false
    private var failure: InputError?
    private var cancelled = false
    /// Called once the channel has room again (true) or the consumer is gone (false).
    private var waitingProducer: (@Sendable (Bool) -> Void)?
    public let capacity: Int

    private var current: [UInt8] = []
    private var currentOffset = 0
    /// Bytes handed to the consumer so far (the progress line, and tests).
    public private(set) var bytesRead: Int64 = 0
    var progress: ProgressCounters?

    public init(capacity: Int = 1 << 20) {
        self.capacity = max(1, capacity)
    }

    // MARK: producer (async)

    /// Queues `chunk`; suspends while the channel is full. False when the consumer is gone: stop producing.
    public func send(_ chunk: [UInt8]) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            if let now = offer(chunk, whenRoom: { continuation.resume(returning: $0) }) {
                continuation.resume(returning: now)
            }
        }
    }

    /// Queues `chunk` without waiting, for a producer on an event loop (which must not block): true when there
    /// is room for more, false when the consumer is gone; nil when the channel is now full, and then `whenRoom`
    /// is called once the reader made room (true) or left (false).
    public func offer(_ chunk: [UInt8], whenRoom: @escaping @Sendable (Bool) -> Void) -> Bool? {
        var stale: (@Sendable (Bool) -> Void)?
        defer { stale?(true) }
        return condition.withLock { () -> Bool? in
            if cancelled { return false }
            // A waiter left by a request that failed while it waited: let it go (its request is over).
            stale = waitingProducer
            waitingProducer = nil
            if !chunk.isEmpty {
                chunks.append(chunk)
                buffered += chunk.count
                condition.broadcast()
            }
            if buffered < capacity { return true }
            waitingProducer = whenRoom
            return nil
        }
    }

    /// Waits until the reader has made room (true) or left (false): a download that stopped because the
    /// reader was behind resumes only then, so a paused reader (`| less`) costs no requests.
    public func waitForRoom() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            var stale: (@Sendable (Bool) -> Void)?
            let now: Bool? = condition.withLock {
                if cancelled { return false }
                stale = waitingProducer
                waitingProducer = nil
                if buffered < capacity { return true }
                waitingProducer = { continuation.resume(returning: $0) }
                return nil
            }
            stale?(true)
            if let now { continuation.resume(returning: now) }
        }
    }

    /// The end of the body: no error, or why it could not be read completely (after the bytes sent before).
    public func finish(_ error: InputError? = nil) {
        let stale: (@Sendable (Bool) -> Void)? = condition.withLock {
            finished = true
            failure = error
            condition.broadcast()
            defer { waitingProducer = nil }
            return waitingProducer
        }
        stale?(true)
    }

    public var isCancelled: Bool { condition.withLock { cancelled } }

    // MARK: consumer (blocking)

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard buffer.count > 0 else { return 0 }
        if currentOffset == current.count {
            guard let next = try take() else { return 0 }
            current = next
            currentOffset = 0
        }
        let n = min(buffer.count, current.count - currentOffset)
        current.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + currentOffset, byteCount: n)
        }
        currentOffset += n
        bytesRead += Int64(n)
        progress?.addBytes(n)
        return n
    }

    /// The next queued chunk; nil at a clean end; throws the producer's error once the bytes before it are read.
    private func take() throws(InputError) -> [UInt8]? {
        let (chunk, error, producer): ([UInt8]?, InputError?, (@Sendable (Bool) -> Void)?) = condition.withLock {
            while head == chunks.count && !finished { condition.wait() }
            if head < chunks.count {
                let chunk = chunks[head]
                chunks[head] = []
                head += 1
                buffered -= chunk.count
                if head == chunks.count {
                    chunks.removeAll(keepingCapacity: true)
                    head = 0
                }
                var wake: (@Sendable (Bool) -> Void)?
                if buffered < capacity, let waiting = waitingProducer {
                    waitingProducer = nil
                    wake = waiting
                }
                return (chunk, nil, wake)
            }
            let error = failure
            failure = nil
            return (nil, error, nil)
        }
        producer?(true)
        if let error { throw error }
        return chunk
    }

    /// The consumer is done (or gone): the producer's next `send` answers false and a waiting one wakes.
    public func cancel() {
        let producer: (@Sendable (Bool) -> Void)? = condition.withLock {
            cancelled = true
            chunks.removeAll()
            head = 0
            buffered = 0
            defer { waitingProducer = nil }
            return waitingProducer
        }
        producer?(false)
    }
}
