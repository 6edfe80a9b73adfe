import Crypto
import DeadLetterBytes

/// AWS Signature Version 4 for request headers (`Authorization`), written by hand on swift-crypto because no
/// AWS SDK for Swift is available here. Reference: the SigV4 pages of the IAM user guide; checked byte for byte
/// against the AWS SigV4 test suite (aws-c-auth's, in Tests/DeadLetterKitTests/Fixtures/sigv4) and against
/// botocore's `SigV4Auth`/`S3SigV4Auth` (scripts/sigv4-botocore.py). Nothing here reads the clock, the
/// environment or the network: credentials and the time are passed in.
///
/// The request's parts and how each is canonicalised:
/// - `path` is the path as it goes on the request line, already percent-encoded (make one from an S3 key or any
///   raw path with `SigV4Signer.encodePath(_:)`). `.standard` services (all but S3) remove `.`/`..` segments,
///   collapse `//` and encode the result once more ("double encoding", so `%` becomes `%25`); `.s3` keeps the path
///   as it is: no normalisation, no second encoding (only bytes outside the unreserved set, `/` and `%` are
///   encoded, which leaves a correctly encoded path unchanged).
/// - `query` holds decoded name/value pairs; each is encoded (RFC 3986 unreserved set kept, everything else
///   `%XX`, so `/` is `%2F` and a space `%20`), sorted by encoded name, then encoded value. Send
///   `Signed.encodedQuery` on the request line so the server sees what was signed.
/// - `headers`: every header given is signed (include `host`); names lowercased, values trimmed with inner runs
///   of white space collapsed to one space, repeated names joined by `,` in the order given, names sorted.
public struct SigV4Signer: Sendable {
    /// How the canonical URI is made from the path: S3's rule, or every other service's.
    public enum PathRule: Sendable, Equatable {
        /// Normalise `.`, `..` and `//`, then encode again.
        case standard
        /// Keep the path as sent: S3 neither normalises nor double-encodes.
        case s3
    }

    /// The body's hash as it enters the canonical request (and `x-amz-content-sha256`).
    public enum Payload: Sendable, Equatable {
        /// Lowercase hex SHA-256 of the body.
        case sha256Hex(String)
        /// `UNSIGNED-PAYLOAD` (S3 over TLS, streamed uploads).
        case unsigned

        /// The payload of a request with this body.
        public static func hashing(_ body: some Sequence<UInt8>) -> Payload {
            var hasher = SHA256()
            hasher.update(data: Array(body))
            return .sha256Hex(SigV4Signer.hex(hasher.finalize()))
        }

        /// A request without a body (GET, HEAD, DELETE).
        public static let empty = Payload.sha256Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

        public var value: String {
            switch self {
            case .sha256Hex(let hex): hex
            case .unsigned: "UNSIGNED-PAYLOAD"
            }
        }
    }

    public struct Request: Sendable {
        public var method: String
        /// Percent-encoded, as on the request line (see the type's notes).
        public var path: String
        /// Decoded names and values, in any order.
        public var query: [(name: String, value: String)]
        /// Names in any case; include `host`. Do not include the headers the signer adds.
        public var headers: [(name: String, value: String)]
        public var payload: Payload

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payload: Payload = .empty) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payload = payload
        }
    }

    /// What signing produced: the headers to add to the request (in this order) and the intermediate texts.
    public struct Signed: Sendable {
        /// `X-Amz-Security-Token` (with a session token), `X-Amz-Date`, `x-amz-content-sha256` (when asked for,
        /// always for S3), `Authorization`.
        public var headers: [(name: String, value: String)]
        /// The query for the request line, encoded exactly as signed (no leading `?`).
        public var encodedQuery: String
        public var canonicalRequest: String
        public var stringToSign: String
        /// Lowercase hex HMAC-SHA256.
        public var signature: String
        public var authorization: String
    }

    public var credentials: AWSCredentials
    public var region: String
    /// The signing name in the scope: `s3`, `sqs`, `firehose`, `events`, `sts`, `es`, `aoss`...
    public var service: String
    public var pathRule: PathRule
    /// Add (and sign) `x-amz-content-sha256`: S3 requires it on every request.
    public var sendsContentSHA256: Bool
    /// Sign `X-Amz-Security-Token` (the default; a few services want it added after signing).
    public var signsSessionToken: Bool

    /// `pathRule` and `sendsContentSHA256` follow the service (S3's rules for `s3`) unless given.
    public init(credentials: AWSCredentials, region: String, service: String, pathRule: PathRule? = nil,
                sendsContentSHA256: Bool? = nil, signsSessionToken: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathRule = pathRule ?? (service == "s3" ? .s3 : .standard)
        self.sendsContentSHA256 = sendsContentSHA256 ?? (service == "s3")
        self.signsSessionToken = signsSessionToken
    }

    /// Signs `request` as of `millis` (milliseconds since the Unix epoch, UTC; the caller's clock).
    public func sign(_ request: Request, at millis: Int64) -> Signed {
        let amzDate = Self.amzDate(millis)
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"

        var added: [(name: String, value: String)] = []
        var signedInput = request.headers
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
            if signsSessionToken { signedInput.append(("X-Amz-Security-Token", token)) }
        }
        added.append(("X-Amz-Date", amzDate))
        signedInput.append(("X-Amz-Date", amzDate))
        if sendsContentSHA256 {
            added.append(("x-amz-content-sha256", request.payload.value))
            signedInput.append(("x-amz-content-sha256", request.payload.value))
        }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(signedInput)
        let encodedQuery = Self.canonicalQuery(request.query)
        let canonicalRequest = [request.method, canonicalURI(request.path), encodedQuery, canonicalHeaders,
                                signedHeaders, request.payload.value].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")

        var key = Self.hmac(Array("AWS4\(credentials.secretAccessKey)".utf8), day)
        for part in [region, service, "aws4_request"] { key = Self.hmac(key, part) }
        let signature = Self.hex(Self.hmac(key, stringToSign))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        added.append(("Authorization", authorization))
        return Signed(headers: added, encodedQuery: encodedQuery, canonicalRequest: canonicalRequest,
                      stringToSign: stringToSign, signature: signature, authorization: authorization)
    }

    // MARK: canonical parts

    /// The canonical URI of a request-line path under this signer's rule.
    package func canonicalURI(_ path: String) -> String {
        switch pathRule {
        case .s3:
            return path.isEmpty ? "/" : Self.encode(path, keeping: Self.pathKeepsS3)
        case .standard:
            return Self.encode(Self.removeDotSegments(path), keeping: Self.pathKeeps)
        }
    }

    /// `a b/c+d` -> `a%20b/c%2Bd`: a raw path (an S3 key with its leading `/`) as it goes on the request line.
    public static func encodePath(_ raw: String) -> String { encode(raw, keeping: pathKeeps) }

    /// RFC 3986 encoding of a query name or value (the unreserved set kept, `/` encoded).
    public static func encodeQueryComponent(_ raw: String) -> String { encode(raw, keeping: unreserved) }

    /// `.` and `..` segments removed and empty segments dropped, the leading and trailing `/` kept (as botocore's
    /// and aws-c-auth's normalisation; an empty path is `/`).
    package static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var kept: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !kept.isEmpty { kept.removeLast() }
            } else {
                kept.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !kept.isEmpty ? "/" : ""
        return leading + kept.joined(separator: "/") + trailing
    }

    package static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        items.map { (encodeQueryComponent($0.name), encodeQueryComponent($0.value)) }
            .sorted { $0.0 != $1.0 ? Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8))
                                    : Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8)) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The canonical header block (each line ending in `\n`) and the signed-header list.
    package static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if values[lower] == nil { order.append(lower) }
            values[lower, default: []].append(trimAll(value))
        }
        let names = order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var block = ""
        for name in names { block += "\(name):\(values[name]!.joined(separator: ","))\n" }
        return (block, names.joined(separator: ";"))
    }

    /// Leading and trailing white space removed, inner runs (spaces, tabs, folded line breaks) made one space.
    package static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    // MARK: bytes

    private static let unreserved: [Bool] = table("")
    private static let pathKeeps: [Bool] = table("/")
    private static let pathKeepsS3: [Bool] = table("/%")

    private static func table(_ extra: String) -> [Bool] {
        var keep = [Bool](repeating: false, count: 256)
        for byte in Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8) + Array(extra.utf8) {
            keep[Int(byte)] = true
        }
        return keep
    }

    private static func encode(_ text: String, keeping keep: [Bool]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if keep[Int(byte)] {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    package static func amzDate(_ millis: Int64) -> String {
        let c = UTCTime.civil(millis)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var year = String(c.year)
        while year.count < 4 { year = "0" + year }
        return "\(year)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }

    private static func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
    }

    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
