import DeadLetterSupport

/// Runs async work from synchronous code (listing inputs, opening a unit on a reader thread) and waits for it.
///
/// The engine reads on threads it owns; the AWS calls are async (AsyncHTTPClient). This is the one bridge.
/// It must not be called from a task of Swift's concurrency pool (that would block one of its few threads
/// on work that may need it); the executable's commands and the engine's threads are plain threads.
public func blockingAwait<T: Sendable, E: Error>(_ operation: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
    let box = ResultBox<T, E>()
    Task {
        let result: Result<T, E>
        do throws(E) { result = .success(try await operation()) } catch { result = .failure(error) }
        box.set(result)
    }
    return try box.wait().get()
}

private final class ResultBox<T: Sendable, E: Error>: @unchecked Sendable {
    // @unchecked: `result` is touched only under `condition`.
    private let condition = ConditionLock()
    private var result: Result<T, E>?

    func set(_ value: Result<T, E>) {
        condition.withLock {
            result = value
            condition.broadcast()
        }
    }

    func wait() -> Result<T, E> {
        condition.withLock {
            while result == nil { condition.wait() }
            return result!
        }
    }
}
