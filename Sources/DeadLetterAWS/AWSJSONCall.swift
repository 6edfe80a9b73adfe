import DeadLetterSupport
import Foundation

/// One signed call to an AWS JSON-protocol API (Firehose, EventBridge, SQS): `POST /` with `X-Amz-Target`.
/// No retries here: the caller (`send`) decides per item what is retried.
public struct AWSJSONService: Sendable {
    public var transport: any HTTPTransport
    public var credentials: any CredentialProvider
    public var region: String
    /// The signing name and the endpoint prefix: `firehose`, `events`, `sqs`.
    public var service: String
    public var endpoint: HTTPURL
    /// `1.0` (SQS) or `1.1` (Firehose, EventBridge).
    public var jsonVersion: String
    public var trace: AWSTrace
    public var now: @Sendable () -> Int64

    /// The AWS endpoint of `service` in `region` unless `endpoint` is given.
    public init(transport: any HTTPTransport, credentials: any CredentialProvider, region: String, service: String,
                endpoint: HTTPURL?, jsonVersion: String = "1.1", trace: AWSTrace, now: @escaping @Sendable () -> Int64) {
        self.transport = transport
        self.credentials = credentials
        self.region = region
        self.service = service
        self.endpoint = endpoint ?? HTTPURL(scheme: "https", host: "\(service).\(region).amazonaws.com")
        self.jsonVersion = jsonVersion
        self.trace = trace
        self.now = now
    }

    /// The answer: status and body (at most 16 MiB).
    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// Calls `target` (`Firehose_20150804.PutRecordBatch`) with `body`. Throws only when no answer came.
    public func call(_ target: String, body: [UInt8]) async throws(AWSError) -> Answer {
        let current = try await credentials.credentials()
        let answer = try await call(target, body: body, signedWith: current)
        // Temporary credentials that expired during a long run: renewed once and the call made again (the
        // expired call was refused whole, so nothing of it was taken). Keys that cannot be renewed leave the
        // refusal as it is: the items become dead letters with its reason, to be sent again later.
        guard [400, 403].contains(answer.status), ["ExpiredTokenException", "ExpiredToken"].contains(Self.errorCode(answer.body)),
              let renewed = try? await credentials.renew(after: current) else { return answer }
        trace("\(service): credentials from \(credentials.source) expired: renewed")
        return try await call(target, body: body, signedWith: renewed)
    }

    /// The code of a JSON-protocol error answer (`__type`, after any `prefix#`), or "".
    public static func errorCode(_ body: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let type = object["__type"] as? String else { return "" }
        return String(type.split(separator: "#").last ?? "")
    }

    private func call(_ target: String, body: [UInt8], signedWith credentials: AWSCredentials) async throws(AWSError) -> Answer {
        var url = endpoint
        if url.path.isEmpty { url.path = "/" }
        let headers: [(name: String, value: String)] = [
            ("host", url.hostHeader), ("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-\(jsonVersion)"),
        ]
        let signer = SigV4Signer(credentials: credentials, region: region, service: service)
        let signed = signer.sign(.init(method: "POST", path: url.path, headers: headers, payload: .hashing(body)), at: now())
        trace("\(service): POST \(url) \(target) (\(body.count) bytes)")
        do {
            let response = try await transport.send(HTTPRequest(method: "POST", url: url, headers: headers + signed.headers, body: body))
            let answer = Answer(status: response.status, body: try await response.body.collect(upTo: 16 << 20))
            trace("\(service): \(answer.status) for \(target)")
            return answer
        } catch {
            trace("\(service): \(target): \(error)")
            // Refused or unreachable: the call never left. Anything else (reset, timeout) may have been
            // processed before the answer was lost.
            if case .connect = error {
                throw AWSError(code: "NotSent", message: "\(target) to \(url): \(error)")
            }
            throw AWSError(code: "Transport", message: "\(target) to \(url): \(error)")
        }
    }

    /// Where the calls go and as whom, for the line a user reads before anything is sent (no secret).
    public var identity: String { "\(endpoint) (region \(region), credentials: \(credentials.source))" }
}

extension AWSJSONService {
    /// The service as every command reaches it: the connection (credentials, region, endpoint) resolved the
    /// one way, and refused with `--no-sign-request`, which these APIs never accept. `user` names what needs
    /// the signature in that refusal.
    public static func open(service: String, jsonVersion: String = "1.1", connections: Int, options: AWSOptions,
                            environment: AWSEnvironment, trace: AWSTrace, user: String) throws(AWSError) -> AWSJSONService {
        let connection = try AWSConnection.open(service: service, connections: connections, options: options, environment: environment,
                                                trace: trace)
        guard let credentials = connection.credentials else {
            throw AWSError(code: "InvalidConfiguration", message: "--no-sign-request: \(user) needs signed requests")
        }
        trace("\(service): region \(connection.region)" + (connection.endpoint.map { ", endpoint \($0)" } ?? "")
              + ", credentials: \(credentials.source)")
        return AWSJSONService(transport: connection.transport, credentials: credentials, region: connection.region, service: service,
                              endpoint: connection.endpoint, jsonVersion: jsonVersion, trace: trace, now: WallClock.millis)
    }
}
