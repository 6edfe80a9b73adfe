// INTERIM (replaced by the credentials chain): environment credentials and endpoints only.
public struct ResolvedAWS: Sendable {
    public var credentials: (any CredentialProvider)?
    public var region: String?
    public var profile: String?
}

struct StaticCredentials: CredentialProvider {
    let value: AWSCredentials
    let source: String
    func credentials() async throws(AWSError) -> AWSCredentials { value }
    func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials {
        throw AWSError(code: "ExpiredToken", message: "the credentials from \(source) have expired")
    }
}

public enum AWSSetup {
    public static func resolve(options: AWSOptions, environment: AWSEnvironment, transport: any HTTPTransport,
                               trace: AWSTrace, now: @escaping @Sendable () -> Int64) throws(AWSError) -> ResolvedAWS {
        var resolved = ResolvedAWS()
        resolved.region = options.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
        if !options.noSignRequest {
            guard let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                throw AWSError(code: "NoCredentials", message: "no AWS credentials found")
            }
            resolved.credentials = StaticCredentials(value: AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"]),
                                                     source: "environment variables (AWS_ACCESS_KEY_ID)")
        }
        return resolved
    }

    public static func endpoint(for service: String, options: AWSOptions, environment: AWSEnvironment) throws(AWSError) -> HTTPURL? {
        let text = options.endpointURL ?? environment["AWS_ENDPOINT_URL_\(service.uppercased())"] ?? environment["AWS_ENDPOINT_URL"]
        guard let text else { return nil }
        guard let url = HTTPURL(string: text) else { throw AWSError(code: "InvalidConfiguration", message: "not a URL: \(text)") }
        return url
    }
}
