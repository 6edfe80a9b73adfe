@testable import DeadLetterEngine
@testable import DeadLetterInput
@testable import DeadLetterRecords
@testable import DeadLetterSupport
import Foundation
import Testing

/// Everything one read produced, for assertions.
struct ReadResult {
    var records: [FailureRecord] = []
    var malformed: [MalformedLine] = []
    var stats: FileStatistics?
    var payloadProblems: [String] = []
    var repeats: [String] = []
    var conflicts: [String] = []

    var lines: Int { stats?.lines ?? 0 }
    var blankLines: Int { stats?.blankLines ?? 0 }
    var error: InputError? { stats?.error }
}

enum Harness {
    /// Reads bytes as if they were the S3 object `key`, in reads of `chunk` bytes, through the engine every
    /// command uses (one reader), so repeats and payload problems are settled as in a run.
    static func read(_ bytes: [UInt8], key: String = "test", chunk: Int = 1 << 20, options: ReadOptions = ReadOptions()) -> ReadResult {
        var result = ReadResult()
        var input = InputOptions()
        input.read = options
        input.quiet = true
        input.progress = false
        var listing = InputListing()
        listing.units = [InputUnit(name: key, size: Int64(bytes.count), origin: MemoryInput(bytes: bytes, chunk: chunk))]
        _ = InputRun(options: input, diagnostics: Diagnostics(fd: -1)).run(listing, workers: 1, prepare: { $0 }) { event in
            switch event {
            case .record(let r): result.records.append(r)
            case .malformed(let m): result.malformed.append(m)
            case .payloadProblem(_, _, let p): result.payloadProblems.append(p)
            case .repeated(_, _, let id): result.repeats.append(id)
            case .conflict(_, _, let id, _): result.conflicts.append(id)
            case .finished(let s): result.stats = s
            }
            return true
        }
        return result
    }

    static func read(_ text: String, key: String = "test", chunk: Int = 1 << 20, options: ReadOptions = ReadOptions()) -> ReadResult {
        read(Array(text.utf8), key: key, chunk: chunk, options: options)
    }

    static func base64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

    /// gzip of `data` made by the system's gzip(1), so tests do not check our zlib code against itself.
    static func gzip(_ data: [UInt8]) throws -> [UInt8] {
        try run("/bin/gzip", ["-c", "-n"], input: data)
    }

    static func run(_ path: String, _ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = CLI.awaitExit(process) { stdout.fileHandleForReading.readDataToEndOfFile() }
        return [UInt8](output)
    }

    /// A CloudWatch Logs subscription payload as Firehose stores it: gzip JSON, then base64.
    static func cloudWatchRawData(messageType: String = "DATA_MESSAGE", logGroup: String, events: Int) throws -> String {
        let list = (0..<events).map { i in "{\"id\":\"3195310660696698337880902507980421114328961542429822\(String(format: "%04d", i))\",\"timestamp\":1432826855000,\"message\":\"line \(i)\"}" }
        let json = "{\"owner\":\"111111111111\",\"logGroup\":\"\(logGroup)\",\"logStream\":\"s1\",\"subscriptionFilters\":[\"Destination\"],\"messageType\":\"\(messageType)\",\"logEvents\":[\(list.joined(separator: ","))]}"
        return Data(try gzip(Array(json.utf8))).base64EncodedString()
    }
}

/// Bytes in memory as an input unit, read in chunks of `chunk` bytes.
struct MemoryInput: InputOrigin {
    let bytes: [UInt8]
    let chunk: Int

    var identity: InputIdentity { InputIdentity(scheme: "memory", key: String(bytes.hashValue)) }

    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
        let source = MemorySource(bytes, chunk: chunk)
        return OpenedInput(bytes: source, bytesRead: { Int64(source.offset) })
    }
}
