import DeadLetterSupport
/// What must be undone before the process exits on an interrupt (SIGINT, SIGTERM, SIGHUP): a half-written
/// output. The library adds to it; the executable, which owns the process's signals and its exit, runs it.
public final class InterruptCleanup: @unchecked Sendable {
    // @unchecked: `actions` and `next` are read and changed only under `lock`.
    private let lock = Lock()
    private var actions: [(id: Int, action: @Sendable () -> Void)] = []
    private var next = 0

    public init() {}

    /// Adds `action`; the result takes it off again.
    public func add(_ action: @escaping @Sendable () -> Void) -> Int {
        lock.withLock {
            next += 1
            actions.append((next, action))
            return next
        }
    }

    public func remove(_ id: Int) {
        lock.withLock { actions.removeAll { $0.id == id } }
    }

    /// Runs every action, latest first; for the signal handling, just before the process exits.
    public func run() {
        let pending = lock.withLock { actions }
        for entry in pending.reversed() { entry.action() }
    }
}
