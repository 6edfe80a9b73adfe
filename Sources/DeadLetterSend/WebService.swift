import DeadLetterAWS
import DeadLetterBytes
import Foundation

/// How a non-AWS-JSON target proves who is calling. Secrets live only here and in the request headers
/// made from them; `description` names the scheme, never the secret.
public enum WebAuth: Sendable, CustomStringConvertible {
    case none
    /// HTTP basic auth (OpenSearch's internal users).
    case basic(user: String, password: String)
    /// `Authorization: Splunk TOKEN` (Splunk HEC).
    case splunk(token: String)
    /// A header of the target's own (`X-Amz-Firehose-Access-Key` for HTTP endpoints).
    case header(name: String, value: String)
    /// SigV4 with AWS credentials as `es` or `aoss` (Amazon OpenSearch Service, OpenSearch Serverless).
    case sigV4(credentials: any CredentialProvider, region: String, service: String)

    public var description: String {
        switch self {
        case .none: return "no authentication"
        case .basic(let user, _): return "basic auth as \(user)"
        case .splunk: return "HEC token"
        case .header(let name, _): return name
        case .sigV4(let credentials, let region, let service): return "SigV4 \(service) in \(region), credentials: \(credentials.source)"
        }
    }
}

/// POSTs to a target's own HTTP API (`_bulk`, HEC, an HTTP endpoint), authenticated as `auth`. No retries
/// here: the engine decides per item what is sent again.
public struct WebService: Sendable {
    public var transport: any HTTPTransport
    public var url: HTTPURL
    public var auth: WebAuth
    public var trace: AWSTrace
    public var now: @Sendable () -> Int64

    public init(transport: any HTTPTransport, url: HTTPURL, auth: WebAuth, trace: AWSTrace, now: @escaping @Sendable () -> Int64) {
        self.transport = transport
        self.url = url
        self.auth = auth
        self.trace = trace
        self.now = now
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// POSTs `body` to `path` (replacing the URL's path when given) with `headers`. Throws only when no
    /// answer came: `NotSent` when the connection was never made, `Transport` when the call may have been
    /// processed before the answer was lost.
    public func post(path: String? = nil, query: String? = nil, headers: [(name: String, value: String)], body: [UInt8])
        async throws(AWSError) -> Answer {
        var target = url
        if let path { target.path = path }
        if let query { target.query = query }
        var all: [(name: String, value: String)] = [("host", target.hostHeader)] + headers
        var credentialsUsed: AWSCredentials?
        switch auth {
        case .none: break
        case .basic(let user, let password):
            all.append(("Authorization", "Basic " + Base64.encode(Array("\(user):\(password)".utf8))))
        case .splunk(let token): all.append(("Authorization", "Splunk \(token)"))
        case .header(let name, let value): all.append((name, value))
        case .sigV4(let provider, let region, let service):
            let credentials = try await provider.credentials()
            credentialsUsed = credentials
            all += signed(all, target, body, credentials, region, service)
        }
        var answer = try await send(target, all, body)
        // Temporary credentials that expired mid-run: renewed once and the call made again (refused whole,
        // so nothing of it was taken).
        if case .sigV4(let provider, let region, let service) = auth, let used = credentialsUsed, answer.status == 403,
           String(decoding: answer.body.prefix(4096), as: UTF8.self).lowercased().contains("expired"),
           let renewed = try? await provider.renew(after: used) {
            trace("\(service): credentials from \(provider.source) expired: renewed")
            let unsigned = [("host", target.hostHeader)] + headers
            answer = try await send(target, unsigned + signed(unsigned, target, body, renewed, region, service), body)
        }
        return answer
    }

    private func signed(_ headers: [(name: String, value: String)], _ target: HTTPURL, _ body: [UInt8],
                        _ credentials: AWSCredentials, _ region: String, _ service: String) -> [(name: String, value: String)] {
        // OpenSearch Serverless requires x-amz-content-sha256; the managed service takes it too.
        let signer = SigV4Signer(credentials: credentials, region: region, service: service, sendsContentSHA256: true)
        let query = target.query.split(separator: "&").map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
        return signer.sign(.init(method: "POST", path: target.path, query: query, headers: headers, payload: .hashing(body)),
                           at: now()).headers
    }

    private static func decode(_ text: Substring) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }

    private func send(_ target: HTTPURL, _ headers: [(name: String, value: String)], _ body: [UInt8]) async throws(AWSError) -> Answer {
        // The query stays out of traces and messages (they reach the journal and the dead letters): it may hold a token.
        let shown = target.withoutQuery
        trace("POST \(shown) (\(body.count) bytes)")
        do {
            let response = try await transport.send(HTTPRequest(method: "POST", url: target, headers: headers, body: body))
            let answer = Answer(status: response.status, body: try await response.body.collect(upTo: 64 << 20))
            trace("\(answer.status) for POST \(shown)")
            return answer
        } catch {
            trace("POST \(shown): \(error)")
            if case .connect = error { throw AWSError(code: "NotSent", message: "POST \(shown): \(error)") }
            throw AWSError(code: "Transport", message: "POST \(shown): \(error)")
        }
    }

    /// Where the calls go, for the line shown before sending: the URL without its query (URLs with user info
    /// are refused; a query could hold a token) and the scheme.
    public var identity: String { "\(url.withoutQuery) (\(auth))" }
}
