#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of our own for work that blocks (reading, waiting for the consumer): the shared Dispatch pool
/// is sized for work that does not, and a pool thread parked on a condition variable is one the rest of
/// the process cannot use. Whoever starts one joins it (or, where joining could wait on a pipe forever,
/// detaches it): none outlives its owner unnoticed.
package final class OwnedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif
    private var settled = false

    package init(_ run: @escaping @Sendable () -> Void) {
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            #if canImport(Darwin)
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            #else
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            #endif
            body.run()
            return nil
        }, body)
        // Without a thread the process cannot read at all; there is nothing sensible to fall back to.
        precondition(status == 0, "cannot start a reading thread: \(String(cString: strerror(status)))")
    }

    /// Waits for the thread to end.
    package func join() {
        guard !settled else { return }
        settled = true
        #if canImport(Darwin)
        pthread_join(thread!, nil)
        #else
        pthread_join(thread, nil)
        #endif
    }

    /// Lets the thread end on its own; its resources are freed when it does.
    package func detach() {
        guard !settled else { return }
        settled = true
        #if canImport(Darwin)
        pthread_detach(thread!)
        #else
        pthread_detach(thread)
        #endif
    }

    deinit { join() }
}
