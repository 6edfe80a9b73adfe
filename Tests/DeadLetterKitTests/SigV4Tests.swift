@testable import DeadLetterAWS
import DeadLetterBytes
import Foundation
import Testing

/// The SigV4 signer (issue 16's head start): the AWS test suite byte for byte, botocore as an independent oracle,
/// and credentials that never print their secret.
struct SigV4Tests {
    static let suite = CLI.packageRoot.appendingPathComponent("Tests/DeadLetterKitTests/Fixtures/sigv4/v4")
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    /// Every case folder of the suite; the test below fails on a missing or unreadable one, never skips it.
    static let caseNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: suite.path)) ?? []
        return names.sorted()
    }()

    @Test func theSuiteIsComplete() {
        #expect(Self.caseNames.count == 38, "Fixtures/sigv4/v4 must hold the suite's 38 cases")
    }

    /// Header signing of one suite case: canonical request, string to sign, signature, Authorization and the
    /// whole signed request equal the suite's files byte for byte.
    @Test(arguments: caseNames) func awsSuiteCase(_ name: String) throws {
        let dir = Self.suite.appendingPathComponent(name)
        func file(_ n: String) throws -> String {
            String(decoding: try Data(contentsOf: dir.appendingPathComponent(n)), as: UTF8.self)
        }
        let context = try #require(try JSONSerialization.jsonObject(with: Data(file("context.json").utf8)) as? [String: Any])
        let creds = try #require(context["credentials"] as? [String: Any])
        let millis = try UTCTime.parse(rfc3339: try #require(context["timestamp"] as? String))
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: try #require(creds["access_key_id"] as? String),
                                        secretAccessKey: try #require(creds["secret_access_key"] as? String),
                                        sessionToken: creds["token"] as? String),
            region: try #require(context["region"] as? String), service: try #require(context["service"] as? String),
            pathRule: try #require(context["normalize"] as? Bool) ? .standard : .s3,
            sendsContentSHA256: try #require(context["sign_body"] as? Bool),
            signsSessionToken: !((context["omit_session_token"] as? Bool) ?? false))

        let parsed = try SuiteRequest(try file("request.txt"))
        let signed = signer.sign(parsed.request, at: millis)

        #expect(signed.canonicalRequest == (try file("header-canonical-request.txt")))
        #expect(signed.stringToSign == (try file("header-string-to-sign.txt")))
        #expect(signed.signature == (try file("header-signature.txt")))
        let signedRequest = try file("header-signed-request.txt")
        #expect(signedRequest.split(separator: "\n").contains("Authorization:\(signed.authorization)"))
        // The request as sent: its own lines, then the added headers in the signer's order, then the body.
        let rebuilt = parsed.head.map { $0 + "\n" }.joined() + signed.headers.map { "\($0.name):\($0.value)\n" }.joined()
            + "\n" + parsed.body
        #expect(rebuilt == signedRequest)
    }

    /// A suite `request.txt`: request line, headers (an indented line continues the previous value), blank line,
    /// body. The query is decoded here because the signer takes decoded items and encodes them itself.
    struct SuiteRequest {
        var head: [String]
        var body: String
        var request: SigV4Signer.Request

        struct Malformed: Error { var line: String }

        init(_ text: String) throws {
            let parts = text.components(separatedBy: "\n\n")
            head = parts[0].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if head.last == "" { head.removeLast() }
            body = parts.count > 1 ? parts.dropFirst().joined(separator: "\n\n") : ""
            let line = head[0]
            guard let space = line.firstIndex(of: " "), line.hasSuffix(" HTTP/1.1") else { throw Malformed(line: line) }
            let method = String(line[..<space])
            let target = String(line[line.index(after: space)..<line.index(line.endIndex, offsetBy: -" HTTP/1.1".count)])
            let path = String(target.prefix { $0 != "?" })
            var query: [(name: String, value: String)] = []
            if let mark = target.firstIndex(of: "?") {
                for pair in target[target.index(after: mark)...].split(separator: "&") {
                    let name = pair.prefix { $0 != "=" }
                    let value = pair.dropFirst(name.count + (name.count < pair.count ? 1 : 0))
                    guard let n = String(name).removingPercentEncoding, let v = String(value).removingPercentEncoding
                    else { throw Malformed(line: line) }
                    query.append((n, v))
                }
            }
            var headers: [(name: String, value: String)] = []
            for h in head.dropFirst() {
                if h.first == " " || h.first == "\t" {
                    guard !headers.isEmpty else { throw Malformed(line: h) }
                    headers[headers.count - 1].value += " " + h
                } else {
                    guard let colon = h.firstIndex(of: ":") else { throw Malformed(line: h) }
                    headers.append((String(h[..<colon]), String(h[h.index(after: colon)...])))
                }
            }
            request = SigV4Signer.Request(method: method, path: path, query: query, headers: headers,
                                          payload: .hashing(Array(body.utf8)))
        }
    }

    // MARK: botocore

    /// ~50 generated requests signed by this signer and by botocore's SigV4Auth/S3SigV4Auth
    /// (scripts/sigv4-botocore.py) agree on canonical request, string to sign, signature and Authorization.
    /// Fails (does not skip) when python3 or botocore is missing: .ci/run installs botocore with boto3.
    @Test func agreesWithBotocore() throws {
        var random = SplitMix(seed: 16)
        let pieces = ["a", "b c", "x+y", "100%", "~tilde", "k=v", "p&q", "é", "日本", "-._", "2026/01", "A  B", "%41", "?", "#", ""]
        var cases: [[String: Any]] = []
        var ours: [SigV4Signer.Signed] = []
        for i in 0..<50 {
            let service = ["s3", "s3", "sqs", "firehose", "execute-api"][i % 5]
            let segments = (0..<(1 + Int(random.next() % 4))).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
            var raw = "/" + segments.joined(separator: "/")
            if service != "s3" && i % 3 == 0 { raw += "/./x/../" + (i % 2 == 0 ? "/" : "") }
            let path = SigV4Signer.encodePath(raw)
            var query: [(name: String, value: String)] = []
            for _ in 0..<Int(random.next() % 5) {
                let name = ["prefix", "list-type", "continuation-token", "a b", "é", "Z", "z", "x+y"][Int(random.next() % 8)]
                query.append((name, pieces[Int(random.next() % UInt64(pieces.count))] + pieces[Int(random.next() % UInt64(pieces.count))]))
            }
            let host = service == "s3" ? "bucket-\(i).s3.eu-west-1.amazonaws.com" : "\(service).eu-west-1.amazonaws.com"
            var headers: [(name: String, value: String)] = [("Host", host)]
            if i % 2 == 1 { headers.append(("X-Custom", "  one   two\tthree ")) }
            if i % 4 == 2 { headers += [("x-multi", "b"), ("X-Multi", " a ")] }
            if i % 7 == 3 { headers.append(("Content-Type", "application/x-amz-json-1.0")) }
            let body = service != "s3" && i % 2 == 0 ? "{\"QueueUrl\":\"q-\(i) é\"}" : ""
            let unsigned = service == "s3" && i % 4 == 1
            let token: String? = i % 3 == 1 ? "FwoGZXIvYXdzE+/token\(i)==" : nil
            let millis = Int64(1_700_000_000_000) + Int64(random.next() % 400_000_000_000)
            let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKIA\(i)EXAMPLE", secretAccessKey: "secret/\(i)+key",
                                                                 sessionToken: token),
                                     region: i % 2 == 0 ? "eu-west-1" : "us-east-1", service: service)
            let payload: SigV4Signer.Payload = unsigned ? .unsigned : .hashing(Array(body.utf8))
            ours.append(signer.sign(.init(method: i % 3 == 0 ? "POST" : "GET", path: path, query: query, headers: headers,
                                          payload: payload), at: millis))
            cases.append(["key": "AKIA\(i)EXAMPLE", "secret": "secret/\(i)+key", "token": token as Any, "region": signer.region,
                          "service": service, "method": i % 3 == 0 ? "POST" : "GET", "host": host, "path": path,
                          "query": query.map { [$0.name, $0.value] }, "headers": headers.map { [$0.name, $0.value] },
                          "body": body, "unsigned": unsigned, "time": SigV4Signer.amzDate(millis)])
        }
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let casesFile = dir.appendingPathComponent("cases.json"), resultsFile = dir.appendingPathComponent("results.json")
        try JSONSerialization.data(withJSONObject: cases).write(to: casesFile)
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/sigv4-botocore.py", casesFile.path, resultsFile.path])
        try #require(status == 0, "scripts/sigv4-botocore.py failed (status \(status); 77: botocore missing): \(output)")
        let stdout = try Data(contentsOf: resultsFile)
        let theirs = try #require(try JSONSerialization.jsonObject(with: stdout) as? [[String: String]])
        try #require(theirs.count == ours.count)
        for (index, (mine, boto)) in zip(ours, theirs).enumerated() {
            #expect(mine.canonicalRequest == boto["canonicalRequest"], "case \(index)")
            #expect(mine.stringToSign == boto["stringToSign"], "case \(index)")
            #expect(mine.signature == boto["signature"], "case \(index)")
            #expect(mine.authorization == boto["authorization"], "case \(index)")
        }
    }

    // MARK: rules worked out by hand

    @Test func pathRules() {
        let s3 = SigV4Signer(credentials: AWSCredentials(accessKeyId: "A", secretAccessKey: "s"), region: "us-east-1", service: "s3")
        let sqs = SigV4Signer(credentials: AWSCredentials(accessKeyId: "A", secretAccessKey: "s"), region: "us-east-1", service: "sqs")
        #expect(SigV4Signer.encodePath("/2026/01/a b+c%é~") == "/2026/01/a%20b%2Bc%25%C3%A9~")
        // S3: as sent, no second encoding, no normalisation.
        #expect(s3.canonicalURI("/a%20b/./c//d/..") == "/a%20b/./c//d/..")
        #expect(s3.canonicalURI("") == "/")
        // Others: dot segments and `//` removed, then encoded again.
        #expect(sqs.canonicalURI("/a%20b/./c//d/..") == "/a%2520b/c")
        #expect(sqs.canonicalURI("/a/b/../") == "/a/")
        #expect(SigV4Signer.canonicalQuery([("prefix", "a b/c+d=e&f"), ("A", "2"), ("A", "1"), ("~", "é")])
            == "A=1&A=2&prefix=a%20b%2Fc%2Bd%3De%26f&~=%C3%A9")
        #expect(SigV4Signer.amzDate(0) == "19700101T000000Z")
        #expect(SigV4Signer.amzDate(951_782_400_000) == "20000229T000000Z")
        #expect(SigV4Signer.Payload.hashing([UInt8]()) == .empty)
    }

    /// S3 adds x-amz-content-sha256 (signed) and the session token; the added headers come in a fixed order.
    @Test func s3AddsContentHashAndToken() {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: "TOKEN"),
                                 region: "eu-west-1", service: "s3")
        let signed = signer.sign(.init(method: "GET", path: "/key", headers: [("Host", "b.s3.eu-west-1.amazonaws.com")], payload: .unsigned),
                                 at: 1_440_938_160_000)
        #expect(signed.headers.map(\.name) == ["X-Amz-Security-Token", "X-Amz-Date", "x-amz-content-sha256", "Authorization"])
        #expect(signed.headers[2].value == "UNSIGNED-PAYLOAD")
        #expect(signed.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/s3/aws4_request, "
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="))
        #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
    }

    // MARK: secrets

    @Test func secretsNeverPrint() {
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: "SESSIONTOKENVALUE")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        var dumped = "", dumpedSigner = ""
        dump(credentials, to: &dumped)
        dump(signer, to: &dumpedSigner)
        let renderings = [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials),
                          String(describing: [credentials]), "\(signer)", String(reflecting: signer), dumped, dumpedSigner,
                          String(describing: Optional(credentials))]
        for text in renderings {
            // Booleans, so a failure message does not print the secret it found.
            let secretShown = text.contains(Self.secret), tokenShown = text.contains("SESSIONTOKENVALUE")
            #expect(!secretShown, "secret printed: \(text.replacingOccurrences(of: Self.secret, with: "<SECRET>"))")
            #expect(!tokenShown, "token printed: \(text.replacingOccurrences(of: "SESSIONTOKENVALUE", with: "<TOKEN>"))")
            #expect(text.contains("AKIDEXAMPLE") && text.contains("<redacted>"))
        }
        #expect(credentials.description == "AWSCredentials(accessKeyId: AKIDEXAMPLE, secretAccessKey: <redacted>, sessionToken: <redacted>)")
    }
}
