import DeadLetterBytes
import DeadLetterSupport

/// `--rate`: at most `limit` items a second across all calls in flight. Each call waits for its turn: the
/// next call may start `items / rate` seconds after the one before it, so a burst never exceeds the rate and
/// a call larger than a second's worth simply waits longer. When the service throttles, the rate is halved
/// (at most once a second, so one burst of refusals does not halve it many times); every second without
/// throttling it grows again by a tenth of the limit, up to the limit: additive increase, multiplicative
/// decrease, as TCP does for the same reason.
actor Pace {
    let limit: Double
    private(set) var rate: Double
    private var nextStart: Double
    private var lastCut: Double
    private var lastRaise: Double
    private let now: @Sendable () -> Double
    /// Below this (or the limit, if lower) the rate stops falling: one item a second still makes progress.
    static let floor = 1.0

    init(limit: Double, now: @escaping @Sendable () -> Double) {
        self.limit = limit
        rate = limit
        self.now = now
        let start = now()
        nextStart = start
        lastCut = start - 1
        lastRaise = start
    }

    /// Waits until `items` may go out.
    func admit(_ items: Int) async {
        let t = now()
        raise(at: t)
        let start = max(t, nextStart)
        nextStart = start + Double(items) / rate
        if start > t { try? await Task.sleep(nanoseconds: UInt64((start - t) * 1e9)) }
    }

    /// The service throttled a call.
    func throttled() {
        let t = now()
        guard t - lastCut >= 1 else { return }
        lastCut = t
        lastRaise = t
        rate = max(min(Self.floor, limit), rate / 2)
    }

    private func raise(at t: Double) {
        guard rate < limit, t - lastRaise >= 1 else { return }
        let seconds = (t - lastRaise).rounded(.down)
        rate = min(limit, rate + seconds * limit / 10)
        lastRaise += seconds
    }
}

/// What the progress line shows while `send` runs; the engine adds as answers come.
// @unchecked Sendable: every field is read and written only inside `lock`.
final class SendProgress: @unchecked Sendable {
    private let lock = Lock()
    private var done = 0
    private var bytes = 0
    private var retried = 0
    let total: Int

    init(total: Int) { self.total = total }

    /// Items settled (taken, or given up) and the bytes sent for them.
    func settled(_ items: Int, bytes sent: Int) { lock.withLock { done += items; bytes += sent } }
    func retrying(_ items: Int) { lock.withLock { retried += items } }

    func line(elapsed: Double) -> String {
        let (done, bytes, retried) = lock.withLock { (self.done, self.bytes, self.retried) }
        var text = "deadletter: sent \(HumanNumber.grouped(done))/\(HumanNumber.grouped(total)) items, \(bytes / 1_000_000) MB, "
        text += "\(HumanNumber.grouped(Int(Double(done) / elapsed))) items/s, \(HumanNumber.grouped(retried)) retried"
        if done > 0 && done < total { text += ", ETA " + ProgressLine.eta(done: Double(done), total: Double(total), elapsed: elapsed) }
        return text
    }
}
