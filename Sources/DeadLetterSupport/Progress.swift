import DeadLetterBytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Counters the readers add to and the progress line reads. Updated under a lock: a few times per read of
/// 256 KiB and once per record, which costs far less than reading the record.
// @unchecked Sendable: the counters are private and read or written only inside `lock`.
public final class ProgressCounters: @unchecked Sendable {
    private let lock = Lock()
    private var _bytes: Int64 = 0
    private var _records = 0
    private var _files = 0

    public init() {}

    public func addBytes(_ n: Int) { lock.withLock { _bytes += Int64(n) } }
    public func addRecord() { lock.withLock { _records += 1 } }
    public func addFile() { lock.withLock { _files += 1 } }
    public var snapshot: (bytes: Int64, records: Int, files: Int) { lock.withLock { (_bytes, _records, _files) } }
}

/// The progress line on stderr: files, records, MB read, MB/s and, when the total size is known, an ETA.
/// Drawn only on a terminal, at most ten times a second, and erased when the run ends.
// @unchecked Sendable: `drawn`, the only mutable state, is read and written only inside `lock`; the rest is
// constant, and a dispatch source may be cancelled from any thread.
public final class ProgressLine: @unchecked Sendable {
    public let counters = ProgressCounters()
    private let totalFiles: Int
    private let totalBytes: Int64?
    private let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "deadletter.progress"))
    private let started = ProgressLine.now()
    private let lock = Lock()
    private var drawn = false
    /// The line of a run that is not reading files (`send`), from the seconds since it started.
    private var render: (@Sendable (Double) -> String)?

    /// nil when progress is off (the caller decides whether stderr is a terminal).
    public static func start(enabled: Bool, totalFiles: Int, totalBytes: Int64?) -> ProgressLine? {
        guard enabled else { return nil }
        let line = ProgressLine(totalFiles: totalFiles, totalBytes: totalBytes)
        line.begin()
        return line
    }

    /// A line of the caller's own, redrawn at the same pace; nil when progress is off.
    public static func start(enabled: Bool, render: @escaping @Sendable (_ elapsed: Double) -> String) -> ProgressLine? {
        guard enabled else { return nil }
        let line = ProgressLine(totalFiles: 0, totalBytes: nil)
        line.render = render
        line.begin()
        return line
    }

    private init(totalFiles: Int, totalBytes: Int64?) {
        self.totalFiles = totalFiles
        self.totalBytes = totalBytes
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func begin() {
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
    }

    func text() -> String {
        let elapsed = max(Self.now() - started, 0.001)
        if let render { return render(elapsed) }
        let (bytes, records, files) = counters.snapshot
        let mb = Double(bytes) / 1e6
        var text = "deadletter: \(HumanNumber.grouped(files))/\(HumanNumber.grouped(totalFiles)) files, "
        text += "\(HumanNumber.grouped(records)) records, \(Int(mb)) MB read, \(Int(mb / elapsed)) MB/s"
        if let totalBytes, totalBytes > 0, bytes > 0 {
            text += ", ETA " + Self.eta(done: Double(bytes), total: Double(totalBytes), elapsed: elapsed)
        }
        return text
    }

    /// `m:ss` left at the pace so far.
    public static func eta(done: Double, total: Double, elapsed: Double) -> String {
        let seconds = max(0, Int(((total - done) / (done / elapsed)).rounded()))
        return "\(seconds / 60):" + (seconds % 60 < 10 ? "0" : "") + "\(seconds % 60)"
    }

    private func draw() {
        let line = "\r\u{1B}[K" + text()
        lock.withLock {
            drawn = true
            write(line)
        }
    }

    private func write(_ s: String) {
        var bytes = Array(s.utf8)
        bytes.withUnsafeMutableBytes { raw in _ = systemWrite(STDERR_FILENO, raw.baseAddress!, raw.count) }
    }

    /// Stops drawing and erases the line, so the results and messages that follow start clean.
    public func finish() {
        timer.cancel()
        lock.withLock {
            if drawn { write("\r\u{1B}[K") }
            drawn = false
        }
    }

    /// Erases the line before a diagnostic is printed; it is drawn again on the next tick.
    public func clear() {
        lock.withLock {
            if drawn { write("\r\u{1B}[K") }
            drawn = false
        }
    }
}
