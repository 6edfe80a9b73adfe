import DeadLetterBytes
import DeadLetterSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `DIR/send-journal.ndjson`: what was asked of the service and what it answered, item by item, appended and
/// flushed to disk (fsync) before a request goes out and after its answer is read. A later `send` of the same
/// directory reads it back: items the service took are never sent again; items whose request was out when
/// the run stopped (`kill -9`, a crash, a lost network) are sent again and counted as possibly duplicated.
///
/// Lines: `{"event":"start","run":N,"at":MS}`, `{"event":"sending","request":"N-Q","items":[ID...]}`,
/// `{"event":"answered","request":"N-Q","delivered":[ID...],"notTaken":[ID...],"uncertain":[ID...]}` (uncertain:
/// not taken as far as the answer says, but the answer was lost after the call went out),
/// `{"event":"failed","items":[{"id":ID,"code":C,"message":M,"attempts":K,"mayHaveArrived":B}...]}`. An item ID is
/// `FILE:INDEX`. A last line cut short by the interruption is ignored.
final class SendJournal: @unchecked Sendable {
    // @unchecked: the descriptor is written only under `lock`.
    struct State: Sendable {
        var runs = 0
        var delivered: Set<String> = []
        var failed: [String: DeadLetter] = [:]
        /// Items the service may hold although no answer said it took them: sent in a request whose answer
        /// was never recorded (the run stopped), or answered after the call's answer was lost. Never forgotten
        /// by a later refusal: the lost call may still have been taken.
        var mayHaveArrived: Set<String> = []
    }

    struct DeadLetter: Sendable, Equatable {
        var code: String
        var message: String
        var attempts: Int
        /// An earlier call of the item may have been taken (its answer was lost).
        var mayHaveArrived = false
    }

    struct Failure: Error, Sendable { var message: String }

    let path: String
    private let fd: Int32
    private let lock = Lock()
    /// After a failed write the file may end in a torn line: nothing more is appended to it.
    private var broken: String?

    /// What earlier runs recorded (nothing when there is no journal yet); writes nothing.
    static func read(_ path: String) -> State {
        var state = State()
        guard let data = FileManager.default.contents(atPath: path) else { return state }
        var unanswered: [String: [String]] = [:]
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let entry = JSONValue.parse(Array(line)), let event = entry["event"]?.string else { continue }
            let ids = { (key: String) in (entry[key]?.array ?? []).compactMap(\.string) }
            let request = entry["request"]?.string ?? ""
            switch event {
            case "start":
                state.runs += 1
            case "sending":
                unanswered[request] = ids("items")
            case "answered":
                unanswered[request] = nil
                state.delivered.formUnion(ids("delivered"))
                // An answer lost after the call went out: the service may have them.
                state.mayHaveArrived.formUnion(ids("uncertain"))
            case "failed":
                for item in entry["items"]?.array ?? [] {
                    guard let id = item["id"]?.string else { continue }
                    let letter = DeadLetter(code: item["code"]?.string ?? "", message: item["message"]?.string ?? "",
                                            attempts: item["attempts"]?.int ?? 0, mayHaveArrived: item["mayHaveArrived"]?.bool ?? false)
                    state.failed[id] = letter
                    if letter.mayHaveArrived { state.mayHaveArrived.insert(id) }
                }
            default:
                continue
            }
        }
        // Out when a run stopped: taken or not, nobody knows.
        for ids in unanswered.values { state.mayHaveArrived.formUnion(ids) }
        state.mayHaveArrived.subtract(state.delivered)
        return state
    }

    /// Opens the journal for appending (created if need be); `read` says what earlier runs recorded.
    static func open(_ path: String) throws(Failure) -> SendJournal {
        let fd = systemOpen(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(message: "\(path): cannot write the journal: \(String(cString: strerror(errno)))") }
        // One run at a time: two runs on one journal would each send what the other has in flight.
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno == EWOULDBLOCK ? "another deadletter run is using it (wait for it to end)" : String(cString: strerror(errno))
            close(fd)
            throw Failure(message: "\(path): cannot lock the journal: \(reason)")
        }
        let journal = SendJournal(path: path, fd: fd)
        // A journal just created must survive a power loss too: its directory entry is flushed once.
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let dirfd = systemOpen(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
        // A line cut short by an interruption must not swallow the next one.
        if let data = FileManager.default.contents(atPath: path), let last = data.last, last != UInt8(ascii: "\n") {
            try journal.append("")
        }
        return journal
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends one line and waits until it is on disk.
    func append(_ line: String) throws(Failure) {
        let bytes = Array((line + "\n").utf8)
        let failure: String? = lock.withLock {
            if let broken { return broken }
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    broken = String(cString: strerror(errno))
                    return broken
                }
                offset += n
            }
            if fsync(fd) != 0 { broken = String(cString: strerror(errno)) }
            return broken
        }
        if let failure { throw Failure(message: "\(path): cannot write the journal: \(failure)") }
    }

    static func list(_ ids: [String]) -> String { "[" + ids.map(JSONOutput.quote).joined(separator: ",") + "]" }

    func start(run: Int, at millis: Int64) throws(Failure) {
        try append("{\"event\":\"start\",\"run\":\(run),\"at\":\(millis)}")
    }

    func sending(_ request: String, _ ids: [String]) throws(Failure) {
        try append("{\"event\":\"sending\",\"request\":\(JSONOutput.quote(request)),\"items\":\(Self.list(ids))}")
    }

    func answered(_ request: String, delivered: [String], notTaken: [String], uncertain: [String] = []) throws(Failure) {
        try append("{\"event\":\"answered\",\"request\":\(JSONOutput.quote(request)),\"delivered\":\(Self.list(delivered)),\"notTaken\":\(Self.list(notTaken)),\"uncertain\":\(Self.list(uncertain))}")
    }

    func failed(_ items: [(id: String, letter: DeadLetter)]) throws(Failure) {
        guard !items.isEmpty else { return }
        let parts = items.map { item in
            "{\"id\":\(JSONOutput.quote(item.id)),\"code\":\(JSONOutput.quote(item.letter.code)),\"message\":\(JSONOutput.quote(item.letter.message)),\"attempts\":\(item.letter.attempts),\"mayHaveArrived\":\(item.letter.mayHaveArrived)}"
        }
        try append("{\"event\":\"failed\",\"items\":[" + parts.joined(separator: ",") + "]}")
    }
}
