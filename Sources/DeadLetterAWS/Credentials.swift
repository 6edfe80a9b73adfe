/// An AWS access key pair, with the session token of temporary credentials.
///
/// The secret never prints: `description`, `debugDescription`, `dump` and the mirror show it (and the session
/// token, which is a bearer credential too) as `<redacted>`, so a credential that reaches a diagnostic, a
/// `--verbose` trace or a test failure message does not leak. Only the access key id is shown (AWS treats it
/// as an identifier, and users need it to tell which key was used).
public struct AWSCredentials: Sendable, Equatable {
    public let accessKeyId: String
    /// Internal to the package on purpose: only the signer reads it.
    package let secretAccessKey: String
    /// Sent (and signed) as `X-Amz-Security-Token`.
    public let sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>"
            + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
    }

    public var debugDescription: String { description }

    /// `dump(_:)` and `Mirror` would otherwise list the stored properties, secret included.
    public var customMirror: Mirror {
        var children: [(label: String?, value: Any)] = [("accessKeyId", accessKeyId), ("secretAccessKey", "<redacted>")]
        if sessionToken != nil { children.append(("sessionToken", "<redacted>")) }
        return Mirror(self, children: children, displayStyle: .struct)
    }
}
