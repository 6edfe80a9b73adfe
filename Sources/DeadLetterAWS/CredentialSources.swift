import DeadLetterBytes
import DeadLetterSupport
import Foundation

/// Keys that do not expire: environment variables, a profile's static keys. They cannot be renewed.
struct StaticCredentials: CredentialProvider {
    let value: AWSCredentials
    let source: String

    func credentials() async throws(AWSError) -> AWSCredentials { value }

    func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials {
        throw AWSError(code: "ExpiredToken",
                       message: "the credentials from \(source) have expired; replace them (a session token from "
                           + "environment variables or a profile does not renew itself) and run again")
    }
}

/// Credentials and when they stop working (epoch ms; nil for never).
struct FetchedCredentials: Sendable {
    var credentials: AWSCredentials
    var expiration: Int64?
}

/// Temporary credentials fetched on first use and again when fewer than five minutes remain, one fetch at a
/// time however many requests ask at once (single flight).
actor RefreshingCredentials: CredentialProvider {
    typealias Fetch = @Sendable () async throws(AWSError) -> FetchedCredentials

    nonisolated let source: String
    private let fetch: Fetch
    private let now: @Sendable () -> Int64
    private var current: FetchedCredentials?
    private var inFlight: Task<Result<FetchedCredentials, AWSError>, Never>?
    /// Refresh this long before expiry, so a request signed now is still valid when it reaches the server.
    static let refreshMargin: Int64 = 5 * 60_000
    /// A refresh that fails while the old keys still have this long is not fatal: they are used meanwhile.
    static let graceMargin: Int64 = 60_000

    init(source: String, now: @escaping @Sendable () -> Int64, fetch: @escaping Fetch) {
        self.source = source
        self.now = now
        self.fetch = fetch
    }

    func credentials() async throws(AWSError) -> AWSCredentials {
        if let current, !needsRefresh(current) { return current.credentials }
        return try await refresh()
    }

    func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials {
        // Another request already replaced the rejected keys: use the new ones.
        if let current, current.credentials != rejected, !needsRefresh(current) { return current.credentials }
        self.current = nil
        return try await refresh()
    }

    private func needsRefresh(_ value: FetchedCredentials) -> Bool {
        guard let expiration = value.expiration else { return false }
        return expiration - now() < Self.refreshMargin
    }

    private func refresh() async throws(AWSError) -> AWSCredentials {
        let task: Task<Result<FetchedCredentials, AWSError>, Never>
        if let inFlight {
            task = inFlight
        } else {
            let fetch = self.fetch
            task = Task {
                do throws(AWSError) { return .success(try await fetch()) } catch { return .failure(error) }
            }
            inFlight = task
        }
        let result = await task.value
        if inFlight == task { inFlight = nil }
        switch result {
        case .success(let fresh):
            current = fresh
            return fresh.credentials
        case .failure(let error):
            if let current, let expiration = current.expiration, expiration - now() > Self.graceMargin {
                return current.credentials
            }
            throw error
        }
    }
}

/// A provider that only fails, when it is used: resolving is offline and never throws for missing
/// credentials, so a run that needs none never sees this.
struct MissingCredentials: CredentialProvider {
    let error: AWSError
    var source: String { "no credential source" }
    func credentials() async throws(AWSError) -> AWSCredentials { throw error }
    func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials { throw error }
}

// MARK: - The JSON answer of credential_process, containers and instance metadata

enum CredentialJSON {
    /// Reads `AccessKeyId`, `SecretAccessKey`, the token (`SessionToken` or `Token`) and `Expiration`.
    /// Says what is missing in `what`'s words, never what was there.
    static func parse(_ bytes: [UInt8], what: String, requireVersion: Bool = false) throws(AWSError) -> FetchedCredentials {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let json = object as? [String: Any] else {
            throw AWSError(code: "InvalidCredentials", message: "\(what) did not answer with a JSON object")
        }
        if requireVersion {
            guard let version = json["Version"] as? Int, version == 1 else {
                throw AWSError(code: "InvalidCredentials",
                               message: "\(what) printed JSON without \"Version\": 1 (the only version the AWS CLI reads)")
            }
        }
        if let code = json["Code"] as? String, code != "Success" {
            throw AWSError(code: "InvalidCredentials", message: "\(what) answered Code \(TerminalText.escape(code))")
        }
        guard let id = json["AccessKeyId"] as? String, !id.isEmpty,
              let secret = json["SecretAccessKey"] as? String, !secret.isEmpty else {
            throw AWSError(code: "InvalidCredentials", message: "\(what) answered without AccessKeyId and SecretAccessKey")
        }
        let token = (json["SessionToken"] as? String) ?? (json["Token"] as? String)
        var expiration: Int64?
        if let text = json["Expiration"] as? String {
            guard let millis = UTCTime.parseRFC3339(text) else {
                throw AWSError(code: "InvalidCredentials",
                               message: "\(what) answered an Expiration that is not an ISO 8601 time: \(TerminalText.escape(text))")
            }
            expiration = millis
        }
        return FetchedCredentials(credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret,
                                                              sessionToken: token?.isEmpty == true ? nil : token),
                                  expiration: expiration)
    }
}

// MARK: - Small HTTP calls with a deadline

struct SmallAnswer: Sendable {
    var status: Int
    var body: [UInt8]
}

enum SmallHTTP {
    /// One request and its whole (small) answer within `seconds`; the metadata services are local, so a
    /// missing one must fail fast rather than after the transport's long read timeout.
    static func send(_ request: HTTPRequest, via transport: any HTTPTransport, within seconds: Double,
                     limit: Int = 1 << 20) async throws(TransportError) -> SmallAnswer {
        // Not a task group: a group waits for its cancelled child, and a transport that ignores cancellation
        // would hold the caller past the deadline. The losing request is cancelled and left to end alone.
        let once = OnceResult()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<SmallAnswer, TransportError>, Never>) in
            let call = Task {
                do throws(TransportError) {
                    let response = try await transport.send(request)
                    once.resume(continuation, .success(SmallAnswer(status: response.status,
                                                                   body: try await response.body.collect(upTo: limit))))
                } catch {
                    once.resume(continuation, .failure(error))
                }
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                once.resume(continuation, .failure(.timeout("no answer from \(request.url.scheme)://\(request.url.hostHeader) within \(seconds) s")))
                call.cancel()
            }
        }
        return try result.get()
    }

    /// Resumes a continuation once: the first of the answer and the deadline wins.
    private final class OnceResult: @unchecked Sendable {
        // @unchecked: `done` is read and written under `lock`.
        private let lock = Lock()
        private var done = false

        func resume(_ continuation: CheckedContinuation<Result<SmallAnswer, TransportError>, Never>,
                    _ value: Result<SmallAnswer, TransportError>) {
            let first = lock.withLock { () -> Bool in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(returning: value) }
        }
    }
}

// MARK: - credential_process

enum CredentialProcess {
    /// Splits the command as Python's `shlex.split` does (botocore's way): white space separates words,
    /// single quotes keep everything, double quotes keep all but `\"` and `\\`, a backslash outside quotes
    /// escapes the next character. Nil for an unterminated quote.
    static func split(_ command: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in command {
            if escaped {
                if quote == "\"" && c != "\"" && c != "\\" { word.append("\\") }
                word.append(c)
                escaped = false
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escaped = true } else { word.append(c) }
                continue
            }
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(word); word = ""; inWord = false }
            case "'", "\"":
                quote = c
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            default:
                word.append(c)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(word) }
        return words
    }

    /// Runs the command directly (no shell), its stdout read as credentials JSON. On failure the message holds
    /// the exit status and the stderr (escaped, trimmed), never the stdout, which may hold the keys.
    static func run(_ command: String, profile: String, environment: AWSEnvironment) async throws(AWSError) -> FetchedCredentials {
        let what = "credential_process of profile \(profile)"
        guard let words = split(command), let name = words.first else {
            throw AWSError(code: "InvalidConfiguration", message: "the \(what) is empty or has an unterminated quote")
        }
        guard let executable = locate(name, environment) else {
            throw AWSError(code: "InvalidConfiguration",
                           message: "the \(what) names \(TerminalText.escape(name)), which is not an executable file or on PATH")
        }
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<(Int32, [UInt8], [UInt8]), AWSError>, Never>) in
            // A plain thread: waiting for a child must not hold one of the concurrency pool's few threads.
            Thread.detachNewThread {
                continuation.resume(returning: execute(executable, Array(words.dropFirst()), environment, what))
            }
        }
        let (status, stdout, stderr) = try outcome.get()
        guard status == 0 else {
            var text = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.count > 500 { text = String(text.prefix(500)) + "..." }
            throw AWSError(code: "CredentialProcessFailed",
                           message: "the \(what) exited with status \(status)"
                               + (text.isEmpty ? "" : ": \(TerminalText.escape(text))"))
        }
        return try CredentialJSON.parse(stdout, what: "the \(what)", requireVersion: true)
    }

    private static func locate(_ name: String, _ environment: AWSEnvironment) -> String? {
        let fm = FileManager.default
        if name.contains("/") {
            let path = AWSConfigFiles.expandTilde(name, environment)
            return fm.isExecutableFile(atPath: path) ? path : nil
        }
        let search = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in search.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func execute(_ executable: String, _ arguments: [String], _ environment: AWSEnvironment,
                                _ what: String) -> Result<(Int32, [UInt8], [UInt8]), AWSError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.variables
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(AWSError(code: "CredentialProcessFailed", message: "cannot start the \(what): \(error.localizedDescription)"))
        }
        // Both pipes drained at once so a child writing much to stderr cannot block on a full pipe.
        let errorBytes = Box()
        let drained = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorBytes.bytes = Array(err.fileHandleForReading.readDataToEndOfFile().prefix(64 << 10))
            drained.signal()
        }
        let output = Array(out.fileHandleForReading.readDataToEndOfFile())
        drained.wait()
        process.waitUntilExit()
        return .success((process.terminationStatus, output, errorBytes.bytes))
    }

    private final class Box: @unchecked Sendable {
        // @unchecked: written by one thread before the semaphore is signalled, read after it is waited on.
        var bytes: [UInt8] = []
    }
}

// MARK: - Container credentials (ECS, EKS Pod Identity)

struct ContainerCredentialsFetcher: Sendable {
    let url: HTTPURL
    let tokenFile: String?
    let token: String?
    let transport: any HTTPTransport
    let trace: AWSTrace
    static let timeout = 2.0
    static let attempts = 3

    /// The settings from the environment; nil when neither URI variable is set.
    static func from(_ environment: AWSEnvironment, transport: any HTTPTransport, trace: AWSTrace) throws(AWSError) -> ContainerCredentialsFetcher? {
        let url: HTTPURL
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            guard let parsed = HTTPURL(string: "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)) else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path: \(TerminalText.escape(relative))")
            }
            url = parsed
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            guard let parsed = HTTPURL(string: full) else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL: \(TerminalText.escape(full))")
            }
            // As botocore: plain http only to this machine or the container agents' link-local addresses, so
            // the authorization token never crosses a network in clear.
            let allowed: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]", "169.254.170.2", "169.254.170.23",
                                        "fd00:ec2::23", "[fd00:ec2::23]"]
            guard parsed.scheme == "https" || allowed.contains(parsed.host.lowercased()) || parsed.host.hasPrefix("127.") else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback address "
                                   + "(it is http to \(TerminalText.escape(parsed.host)))")
            }
            url = parsed
        } else {
            return nil
        }
        return ContainerCredentialsFetcher(url: url,
                                           tokenFile: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
                                           token: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
                                           transport: transport, trace: trace)
    }

    func fetch() async throws(AWSError) -> FetchedCredentials {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        // The file is read on every fetch: the agent rotates it.
        var authorization = token
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (\(tokenFile))")
            }
            authorization = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let authorization {
            guard !authorization.contains("\r"), !authorization.contains("\n") else {
                throw AWSError(code: "InvalidConfiguration", message: "the container authorization token holds a line break")
            }
            headers.append(("Authorization", authorization))
        }
        var lastProblem = ""
        for attempt in 1...Self.attempts {
            trace("credentials: GET \(url.scheme)://\(url.hostHeader)\(url.path) (container credentials, attempt \(attempt))")
            let answer: SmallAnswer
            do throws(TransportError) {
                answer = try await SmallHTTP.send(HTTPRequest(method: "GET", url: url, headers: headers),
                                                  via: transport, within: Self.timeout)
            } catch {
                lastProblem = error.description
                continue
            }
            trace("credentials: container credentials answered \(answer.status)")
            if answer.status == 200 {
                return try CredentialJSON.parse(answer.body, what: "the container credentials endpoint")
            }
            lastProblem = "it answered HTTP \(answer.status)"
            if answer.status < 500 { break }
        }
        throw AWSError(code: "NoCredentials",
                       message: "cannot get container credentials from \(url.scheme)://\(url.hostHeader)\(url.path): \(lastProblem)")
    }
}

// MARK: - EC2 instance metadata (IMDSv2)

struct InstanceMetadataFetcher: Sendable {
    let endpoint: HTTPURL
    let transport: any HTTPTransport
    let trace: AWSTrace
    let timeout: Double
    let attempts: Int

    /// nil when `AWS_EC2_METADATA_DISABLED=true`.
    static func from(_ environment: AWSEnvironment, transport: any HTTPTransport, trace: AWSTrace) throws(AWSError) -> InstanceMetadataFetcher? {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        let text: String
        if let given = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] {
            text = given
        } else if environment["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"]?.lowercased() == "ipv6" {
            text = "http://[fd00:ec2::254]"
        } else {
            text = "http://169.254.169.254"
        }
        guard let endpoint = HTTPURL(string: text) else {
            throw AWSError(code: "InvalidConfiguration",
                           message: "AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http(s) URL: \(TerminalText.escape(text))")
        }
        // botocore's defaults: one attempt of one second, so a machine off EC2 gives up at once.
        let timeout = environment["AWS_METADATA_SERVICE_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 1
        let attempts = environment["AWS_METADATA_SERVICE_NUM_ATTEMPTS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 1
        return InstanceMetadataFetcher(endpoint: endpoint, transport: transport, trace: trace, timeout: timeout, attempts: attempts)
    }

    var address: String { "\(endpoint.scheme)://\(endpoint.hostHeader)" }

    private func url(_ path: String) -> HTTPURL {
        var url = endpoint
        url.path = (endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path) + path
        url.query = ""
        return url
    }

    private func call(_ method: String, _ path: String, _ headers: [(name: String, value: String)]) async throws(TransportError) -> SmallAnswer {
        var last = TransportError.other("no attempt")
        for attempt in 1...attempts {
            trace("credentials: \(method) \(address)\(path) (instance metadata, attempt \(attempt))")
            do throws(TransportError) {
                let answer = try await SmallHTTP.send(HTTPRequest(method: method, url: url(path), headers: headers),
                                                      via: transport, within: timeout)
                trace("credentials: instance metadata answered \(answer.status)")
                if answer.status < 500 { return answer }
                last = .other("HTTP \(answer.status)")
            } catch {
                last = error
            }
        }
        throw last
    }

    /// A failure here is "no credentials" in the caller's words: instance metadata is the last place looked.
    func fetch() async throws(AWSError) -> FetchedCredentials {
        do {
            var headers: [(name: String, value: String)] = []
            let token = try await call("PUT", "/latest/api/token", [("X-aws-ec2-metadata-token-ttl-seconds", "21600")])
            switch token.status {
            case 200:
                headers.append(("X-aws-ec2-metadata-token", String(decoding: token.body, as: UTF8.self)))
            case 403, 404, 405:
                // As botocore: a metadata service without IMDSv2 tokens is asked without one (IMDSv1).
                break
            default:
                throw AWSError(code: "NoCredentials", message: "instance metadata at \(address) answered HTTP \(token.status) to the token request")
            }
            let list = try await call("GET", "/latest/meta-data/iam/security-credentials/", headers)
            let role = String(decoding: list.body, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
            guard list.status == 200, let role, !role.isEmpty else {
                throw AWSError(code: "NoCredentials",
                               message: "instance metadata at \(address) lists no IAM role (HTTP \(list.status)): attach an instance profile")
            }
            let creds = try await call("GET", "/latest/meta-data/iam/security-credentials/" + SigV4Signer.encodePath(role), headers)
            guard creds.status == 200 else {
                throw AWSError(code: "NoCredentials",
                               message: "instance metadata at \(address) answered HTTP \(creds.status) for role \(TerminalText.escape(role))")
            }
            return try CredentialJSON.parse(creds.body, what: "instance metadata at \(address)")
        } catch let error as AWSError {
            throw error
        } catch let error as TransportError {
            throw AWSError(code: "NoCredentials", message: "no answer from instance metadata at \(address): \(error)")
        } catch {
            throw AWSError(code: "NoCredentials", message: "instance metadata at \(address): \(error)")
        }
    }
}
