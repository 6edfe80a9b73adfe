import DeadLetterSupport

/// What a command needs to call one AWS service: the transport, the credentials (nil with
/// `--no-sign-request`), the region and the endpoint, resolved the one way every command resolves them.
public struct AWSConnection: Sendable {
    public var transport: AsyncHTTPTransport
    public var credentials: (any CredentialProvider)?
    /// The region asked for, else us-east-1 (S3 follows a bucket elsewhere; other services sign for it).
    public var region: String
    /// A custom endpoint for `service`, nil for AWS's own.
    public var endpoint: HTTPURL?

    /// `service` is the endpoint id (`s3`, `firehose`, `events`); `connections` the most at once to one host.
    public static func open(service: String, connections: Int, options: AWSOptions, environment: AWSEnvironment,
                            trace: AWSTrace) throws(AWSError) -> AWSConnection {
        let transport = AsyncHTTPTransport(connections: max(1, connections), connectTimeout: options.connectTimeout,
                                           readTimeout: options.readTimeout)
        let resolved = try AWSSetup.resolve(options: options, environment: environment, transport: transport, trace: trace,
                                            now: WallClock.millis)
        let endpoint = try AWSSetup.endpoint(for: service, options: options, environment: environment)
        return AWSConnection(transport: transport, credentials: resolved.credentials, region: resolved.region ?? "us-east-1",
                             endpoint: endpoint)
    }
}
