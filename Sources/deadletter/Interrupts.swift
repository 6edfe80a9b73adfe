import DeadLetterSupport
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's answer to SIGINT, SIGTERM and SIGHUP while a command writes an output that must appear
/// whole or not at all: run the library's cleanups (remove the unfinished output), then exit with
/// 128 + the signal's number. The executable owns this: a library must not take over a process's signals.
final class InterruptHandling {
    private var sources: [DispatchSourceSignal] = []

    /// Call before any thread is started: the threads inherit the signal mask set here.
    init(running cleanup: InterruptCleanup) {
        // A signal the parent ignored stays ignored (nohup for SIGHUP; a background job of a script for
        // SIGINT): watching it would give it a handler and let it end the run.
        let watched = [SIGINT, SIGTERM, SIGHUP].filter { !Self.isIgnored($0) }
        // Dispatch receives the signals only while they are blocked for the threads (Linux: signalfd). One
        // that comes before its source is registered stays pending and is read then. The disposition is
        // left alone: SIG_IGN would discard a pending signal, and on Linux Dispatch installs its own handler
        // anyway (it re-raises the signal blocked, on a thread that had it unblocked).
        var set = sigset_t()
        sigemptyset(&set)
        for sig in watched { sigaddset(&set, sig) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let queue = DispatchQueue(label: "deadletter.interrupts")
        for sig in watched {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                cleanup.run()
                _exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }

    private static func isIgnored(_ sig: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(sig, nil, &current) == 0 else { return false }
        #if canImport(Glibc)
        let handler = current.__sigaction_handler.sa_handler
        #else
        let handler = current.__sigaction_u.__sa_handler
        #endif
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }
}
