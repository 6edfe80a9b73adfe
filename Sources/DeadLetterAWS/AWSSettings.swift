/// The AWS flags of a command (`--profile`, `--region`, `--endpoint-url`, `--no-sign-request`, ...), copied
/// into a plain value by the executable.
public struct AWSOptions: Sendable, Equatable {
    public var profile: String?
    public var region: String?
    public var endpointURL: String?
    public var noSignRequest = false
    /// `--s3-concurrency`: GETs in flight at once.
    public var s3Concurrency = 80
    /// `--verbose`: every request, answer and retry on stderr (never a secret).
    public var verbose = false
    /// Seconds without a byte before a request is abandoned and retried (connect, first byte, mid-body).
    public var readTimeout: Double = 30
    public var connectTimeout: Double = 10
    /// Attempts per request, first included (`AWS_MAX_ATTEMPTS` when set, as the AWS CLI reads it).
    public var maxAttempts = 5

    public init() {}
}

/// The environment the AWS settings are read from, passed in so tests use a temporary HOME and variables
/// instead of the process's.
public struct AWSEnvironment: Sendable {
    public var variables: [String: String]
    /// For `~/.aws/...`; nil when HOME is not set.
    public var home: String?

    public init(variables: [String: String], home: String? = nil) {
        self.variables = variables
        self.home = home ?? variables["HOME"]
    }

    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }
}

/// Where signing credentials come from. Temporary credentials are refreshed before they expire, so one
/// provider serves a long run.
public protocol CredentialProvider: Sendable {
    /// Credentials valid for at least a few more minutes.
    func credentials() async throws(AWSError) -> AWSCredentials
    /// A server rejected `rejected` as expired (`ExpiredToken`): fetch new ones, unless another request
    /// already did (then those). A source that cannot renew (static keys) throws an `ExpiredToken` error
    /// saying where the stale keys came from.
    func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials
    /// Where they come from, for messages a user can act on, never a secret: `environment variables
    /// (AWS_ACCESS_KEY_ID)`, `profile prod (/home/me/.aws/credentials)`, `credential_process of profile dev`,
    /// `role arn:aws:iam::1:role/r assumed with profile base`, `container credentials`, `EC2 instance metadata`.
    var source: String { get }
}

/// A failed AWS call, or no way to make one (no credentials, bad settings). `message` is a sentence a user
/// can act on and never holds a secret.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The service's error code (`AccessDenied`, `NoSuchBucket`, `ExpiredToken`, `SlowDown`), or one of ours
    /// (`NoCredentials`, `InvalidConfiguration`, `Transport`).
    public var code: String
    public var message: String
    /// The HTTP status, when a server answered.
    public var status: Int?

    public init(code: String, message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { message }
}

/// The `--verbose` trace: one line per request, answer and retry. Lines are built only when tracing is on.
/// Callers never put a secret in a line: URLs carry no credentials (no presigned URLs), headers are not
/// printed but for a few named ones.
public struct AWSTrace: Sendable {
    private let write: (@Sendable (String) -> Void)?

    public init(_ write: (@Sendable (String) -> Void)?) { self.write = write }

    public static let off = AWSTrace(nil)

    public var isOn: Bool { write != nil }

    public func callAsFunction(_ line: @autoclosure () -> String) {
        write?(line())
    }
}
