/// One message parsed from an agent log line.
struct AgentLogMessage {
    var time: Int64?
    var level: String
    var text: String
    var logger: String?
    var pid: String?
    var thread: String?
}

/// The old awslogs agent: `2019-08-15 05:09:54,795 - cwlogs.push.publisher - WARNING - 4399 - Thread-5 - message`.
enum AwslogsLog {
    static func parse(_ line: [UInt8]) -> AgentLogMessage? {
        guard line.count > 26, AgentTime.parse(line[0..<23]) != nil, line[10] == UInt8(ascii: " "), line[19] == UInt8(ascii: ",") else { return nil }
        var rest = String(decoding: line[23...], as: UTF8.self)
        // " - logger - LEVEL - pid - thread - message". A line wrapped by hand after the thread's " -" keeps its
        // message on the lines below: the header alone is the start of that message.
        while rest.last == " " || rest.last == "\t" || rest.last == "\r" { rest.removeLast() }
        if rest.hasSuffix(" -") { rest += " " }
        let parts = rest.split(separator: " - ", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, !parts[3].isEmpty, parts[3].allSatisfy(\.isNumber) else { return nil }
        return AgentLogMessage(time: AgentTime.parse(line[0..<23]), level: String(parts[2]), text: String(parts[5]),
                               logger: String(parts[1]), pid: String(parts[3]), thread: String(parts[4]))
    }
}

/// The unified CloudWatch agent: `2021-10-14T04:59:43Z E! [outputs.cloudwatchlogs] message` (before 2021:
/// `E! cloudwatchlogs: message`).
enum UnifiedAgentLog {
    static func parse(_ line: [UInt8]) -> AgentLogMessage? {
        guard line.count >= 23, line[10] == UInt8(ascii: "T"), line[19] == UInt8(ascii: "Z"), line[20] == UInt8(ascii: " "),
              line[22] == UInt8(ascii: "!"), let time = AgentTime.parse(line[0..<19]) else { return nil }
        let level = String(decoding: line[21...21], as: UTF8.self)
        let text = line.count > 24 ? String(decoding: line[24...], as: UTF8.self) : ""
        return AgentLogMessage(time: time, level: level, text: text)
    }
}

/// What a message says, across both agents' wordings (templates from the agents' sources and real logs).
enum AgentMessageClassifier {
    static let sequenceTokenExceptions: Set<String> = ["InvalidSequenceTokenException", "DataAlreadyAcceptedException"]
    /// Error codes of the AWS SDKs that do not end in `Exception` or `Error`, counted where a message gives
    /// them as `Code: message` (how the Go SDK prints an error): credentials, endpoints, throttling.
    static let bareCodes: Set<String> = ["NoCredentialProviders", "InvalidEndpointURL", "SharedCredsLoad", "EnvAccessKeyNotFound",
                                         "ExpiredToken", "RequestExpired", "RequestCanceled", "Throttling", "AccessDenied",
                                         "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature", "MissingRegion",
                                         "MissingEndpoint", "InternalFailure", "ServiceUnavailable", "RequestTimeout"]
    /// Markers after which the agents put an error code: botocore's `An error occurred (X) when calling ...`
    /// (awslogs), `code: X, message: ...` (unified agent), `errorCode=X`.
    static let codeMarkers: [[UInt8]] = [Array("An error occurred (".utf8), Array("code: ".utf8), Array("errorCode=".utf8)]

    /// The exception a message reports, if any: one per message, the first it names. A message's continuation
    /// lines are part of it, and a line break inside it (a message wrapped by hand) reads as a space.
    static func exception(in text: String) -> String? {
        let flat = flattened(text)
        if find(Array("Invalid SequenceToken used".utf8), in: flat, from: 0) != nil || find(Array("InvalidSequenceToken".utf8), in: flat, from: 0) != nil {
            return "InvalidSequenceTokenException"
        }
        var best: (at: Int, name: ArraySlice<UInt8>)?
        for marker in codeMarkers {
            var from = 0
            while let at = find(marker, in: flat, from: from) {
                let start = at + marker.count, end = identifierEnd(flat, start)
                if end > start, isUpper(flat[start]) {
                    if best == nil || start < best!.at { best = (start, flat[start..<end]) }
                    break
                }
                from = start   // `status code: 400` is no code
            }
        }
        // Names: `...Exception` anywhere; `...Error:` (botocore.exceptions.NoCredentialsError: ...) and the SDK's
        // bare codes (NoCredentialProviders: ...) where followed by a colon.
        var i = 0
        while i < flat.count, i < (best?.at ?? flat.count) {
            guard isIdentifier(flat[i]) else { i += 1; continue }
            let end = identifierEnd(flat, i)
            let name = flat[i..<end]
            if isUpper(flat[i]) {
                let colon = end < flat.count && flat[end] == UInt8(ascii: ":")
                if (name.count > 9 && name.suffix(9).elementsEqual("Exception".utf8))
                    || (colon && name.count > 5 && name.suffix(5).elementsEqual("Error".utf8))
                    || (colon && bareCodes.contains(String(decoding: name, as: UTF8.self))) {
                    best = (i, name)
                    break
                }
            }
            i = end
        }
        return best.map { String(decoding: $0.name, as: UTF8.self) }
    }

    /// The text's bytes with every run of white space (line breaks, a continuation's indentation) as one space.
    static func flattened(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var space = false
        for b in text.utf8 {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                space = true
                continue
            }
            if space && !out.isEmpty { out.append(0x20) }
            space = false
            out.append(b)
        }
        return out
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        var i = from
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func isIdentifier(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }

    static func identifierEnd(_ b: [UInt8], _ start: Int) -> Int {
        var e = start
        while e < b.count, isIdentifier(b[e]) { e += 1 }
        return e
    }

    /// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME:log-stream:NAME` (AccessDeniedException and other
    /// authorization errors name the resource so): the group, and the stream when the ARN has one.
    static func arnTarget(in text: String) -> (String, String?)? {
        let flat = flattened(text)
        guard let at = find(Array(":log-group:".utf8), in: flat, from: 0) else { return nil }
        func name(from start: Int) -> (String, Int) {
            var end = start
            while end < flat.count, ![0x3A, 0x20, 0x22, 0x27, 0x2C, 0x3B, 0x29].contains(flat[end]) { end += 1 }   // : space " ' , ; )
            var last = end
            if last > start, flat[last - 1] == UInt8(ascii: "."), last == flat.count || flat[last] == 0x20 { last -= 1 }   // a sentence's full stop
            return (String(decoding: flat[start..<last], as: UTF8.self), end)
        }
        let (group, groupEnd) = name(from: at + 11)
        guard !group.isEmpty, group != "*" else { return nil }
        let marker = Array(":log-stream:".utf8)
        guard groupEnd + marker.count <= flat.count, flat[groupEnd..<(groupEnd + marker.count)].elementsEqual(marker) else { return (group, nil) }
        let (stream, _) = name(from: groupEnd + marker.count)
        return (group, stream.isEmpty || stream == "*" ? nil : stream)
    }

    /// True for messages that say data was lost.
    static func isDrop(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("discard") || lower.contains("request dropped") || lower.contains("will not retry and logs will be missing")
            || lower.contains("are too old") || lower.contains("are too new") || lower.contains("are expired")
            || lower.contains("dropping") || lower.contains("dropped")
    }

    static func isUnifiedStart(_ text: String) -> Bool {
        text.contains("Starting AmazonCloudWatchAgent") || text.hasPrefix("Loaded inputs") || text.hasPrefix("Loaded outputs")
    }

    /// `sending logs to GROUP/STREAM`, `log 'GROUP/STREAM'`, `log stream GROUP/STREAM`, `to GROUP/STREAM failed`: the
    /// text between the marker and the end (`:`, `,`, `'`, space). Group and stream are split later.
    static func target(in text: String) -> String? {
        for marker in ["sending logs to ", "for log '", "Unable to create log stream ", " retries to "] {
            guard let range = text.firstRange(of: marker) else { continue }
            var name = ""
            for c in text[range.upperBound...] {
                if c == ":" || c == "," || c == "'" || c == " " { break }
                name.append(c)
            }
            if !name.isEmpty { return name }
        }
        return nil
    }

    /// awslogs: `Log group: G, log stream: S, queue size: ...`.
    static func awslogsStream(in text: String) -> (String, String)? {
        guard let g = text.firstRange(of: "Log group: "), let s = text.firstRange(of: ", log stream: ") , g.upperBound <= s.lowerBound else { return nil }
        let group = String(text[g.upperBound..<s.lowerBound])
        var stream = ""
        for c in text[s.upperBound...] {
            if c == "," { break }
            stream.append(c)
        }
        return (group, stream)
    }
}
