import DeadLetterBytes
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The two STS calls a profile can need: AssumeRole (signed with the source credentials) and
/// AssumeRoleWithWebIdentity (unsigned: the token is the proof). Query protocol: a form POST, an XML answer.
struct STSClient: Sendable {
    let endpoint: HTTPURL
    let region: String
    let transport: any HTTPTransport
    let trace: AWSTrace
    let now: @Sendable () -> Int64
    static let attempts = 3

    /// `https://sts.REGION.amazonaws.com` (regional, the AWS CLI v2 default) unless an endpoint is configured.
    static func defaultEndpoint(region: String) -> HTTPURL {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return HTTPURL(scheme: "https", host: "sts.\(region).\(suffix)")
    }

    struct AssumeRole: Sendable {
        var roleArn: String
        var sessionName: String
        var externalId: String?
        var durationSeconds: Int?
    }

    func assumeRole(_ call: AssumeRole, with source: AWSCredentials, what: String) async throws(AWSError) -> FetchedCredentials {
        var form: [(String, String)] = [("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", call.roleArn),
                                        ("RoleSessionName", call.sessionName)]
        if let externalId = call.externalId { form.append(("ExternalId", externalId)) }
        if let duration = call.durationSeconds { form.append(("DurationSeconds", String(duration))) }
        return try await post(form, signingWith: source, action: "AssumeRole", what: what)
    }

    func assumeRoleWithWebIdentity(roleArn: String, sessionName: String, token: String, durationSeconds: Int?,
                                   what: String) async throws(AWSError) -> FetchedCredentials {
        var form: [(String, String)] = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"),
                                        ("RoleArn", roleArn), ("RoleSessionName", sessionName), ("WebIdentityToken", token)]
        if let duration = durationSeconds { form.append(("DurationSeconds", String(duration))) }
        return try await post(form, signingWith: nil, action: "AssumeRoleWithWebIdentity", what: what)
    }

    private func post(_ form: [(String, String)], signingWith credentials: AWSCredentials?, action: String,
                      what: String) async throws(AWSError) -> FetchedCredentials {
        let body = Array(form.map { "\(SigV4Signer.encodeQueryComponent($0.0))=\(SigV4Signer.encodeQueryComponent($0.1))" }
            .joined(separator: "&").utf8)
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        var lastProblem = ""
        for attempt in 1...Self.attempts {
            var headers: [(name: String, value: String)] = [("Content-Type", contentType)]
            if let credentials {
                let signer = SigV4Signer(credentials: credentials, region: region, service: "sts", pathRule: .standard)
                let signed = signer.sign(SigV4Signer.Request(method: "POST", path: endpoint.path,
                                                             headers: [("host", endpoint.hostHeader), ("content-type", contentType)],
                                                             payload: .hashing(body)), at: now())
                headers += signed.headers
            }
            trace("credentials: POST \(endpoint) STS \(action) (\(what), attempt \(attempt))")
            let response: HTTPResponse
            let answer: [UInt8]
            do throws(TransportError) {
                response = try await transport.send(HTTPRequest(method: "POST", url: endpoint, headers: headers, body: body))
                answer = try await response.body.collect(upTo: 1 << 20)
            } catch {
                lastProblem = "request failed: \(error)"
                trace("credentials: STS \(action) \(lastProblem)")
                continue
            }
            trace("credentials: STS \(action) answered \(response.status)")
            let fields = STSXML.leaves(answer)
            if response.status == 200 {
                guard let id = fields["AccessKeyId"], let secret = fields["SecretAccessKey"], let token = fields["SessionToken"],
                      let expiration = fields["Expiration"].flatMap(UTCTime.parseRFC3339) else {
                    throw AWSError(code: "InvalidCredentials", message: "STS \(action) for \(what) answered without credentials")
                }
                return FetchedCredentials(credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token),
                                          expiration: expiration)
            }
            let code = fields["Code"] ?? "HTTP\(response.status)"
            let message = TerminalText.escape(fields["Message"] ?? "no message")
            let retryable = response.status >= 500 || code == "Throttling" || code == "ThrottlingException"
                || code == "IDPCommunicationError"
            lastProblem = "\(code): \(message)"
            if !retryable {
                throw AWSError(code: code, message: "STS \(action) for \(what) failed: \(lastProblem)", status: response.status)
            }
        }
        throw AWSError(code: "Transport", message: "STS \(action) for \(what) at \(endpoint.scheme)://\(endpoint.hostHeader) failed "
                           + "after \(Self.attempts) attempts: \(lastProblem)")
    }
}

/// The leaf elements of an STS answer by name (`AccessKeyId`, `Code`, ...): each name occurs once in the
/// answers read here, so no path is needed.
enum STSXML {
    static func leaves(_ bytes: [UInt8]) -> [String: String] {
        let collector = Collector()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        _ = parser.parse()
        return collector.fields
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var fields: [String: String] = [:]
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty, fields[elementName] == nil { fields[elementName] = value }
            text = ""
        }
    }
}
