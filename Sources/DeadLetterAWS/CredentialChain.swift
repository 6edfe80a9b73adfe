import DeadLetterBytes
import Foundation

/// What a command signs with and where it sends requests, decided before any request.
public struct ResolvedAWS: Sendable {
    /// nil with `--no-sign-request`.
    public var credentials: (any CredentialProvider)?
    /// nil when nothing sets one (the caller falls back to us-east-1).
    public var region: String?
    /// The profile in use, for messages (`default` when none was named).
    public var profile: String?

    public init(credentials: (any CredentialProvider)? = nil, region: String? = nil, profile: String? = nil) {
        self.credentials = credentials
        self.region = region
        self.profile = profile
    }
}

public enum AWSSetup {
    /// Reads the environment and the AWS settings files, decides the region and which credential source will be
    /// used, as the AWS CLI does (botocore's chain): environment keys (unless `--profile` was given), the
    /// profile (assume role, web identity, static keys, `credential_process`), web identity from the
    /// environment, container credentials, EC2 instance metadata. Offline: nothing is fetched until the
    /// provider's `credentials()` is first called, and a lack of credentials only shows then (a
    /// `NoCredentials` error saying where it looked). Throws for settings that cannot work: a named profile
    /// that does not exist, a malformed file, a `source_profile` loop, an SSO profile.
    public static func resolve(options: AWSOptions, environment: AWSEnvironment, transport: any HTTPTransport,
                               trace: AWSTrace, now: @escaping @Sendable () -> Int64) throws(AWSError) -> ResolvedAWS {
        let files = try AWSConfigFiles.load(environment)
        let named = options.profile ?? environment["AWS_PROFILE"]
        let profileName = named ?? "default"
        let profile = files.profile(profileName)
        if let named, profile == nil {
            let origin = options.profile != nil ? "--profile" : "AWS_PROFILE"
            throw AWSError(code: "ProfileNotFound",
                           message: "the profile \(TerminalText.escape(named)) (from \(origin)) is not defined \(files.whereDescription); "
                               + "add it with `aws configure --profile \(TerminalText.escape(named))` or name another")
        }
        let region = options.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
            ?? profile?["region"].flatMap { $0.isEmpty ? nil : $0 }
        guard !options.noSignRequest else {
            return ResolvedAWS(credentials: nil, region: region, profile: profileName)
        }
        let sts = STSClient(
            endpoint: try configuredEndpoint(for: "sts", profile: profileName, environment: environment, files: files)
                ?? STSClient.defaultEndpoint(region: region ?? "us-east-1"),
            region: region ?? "us-east-1", transport: transport, trace: trace, now: now)
        let chain = CredentialChain(files: files, environment: environment, transport: transport, trace: trace, now: now, sts: sts)
        let provider = try chain.provider(profile: profileName, explicitProfile: options.profile != nil)
        trace("credentials: using \(provider.source)")
        return ResolvedAWS(credentials: provider, region: region, profile: profileName)
    }
}

/// The providers of one resolution, built from the files and the environment.
struct CredentialChain {
    let files: AWSConfigFiles
    let environment: AWSEnvironment
    let transport: any HTTPTransport
    let trace: AWSTrace
    let now: @Sendable () -> Int64
    let sts: STSClient

    func provider(profile name: String, explicitProfile: Bool) throws(AWSError) -> any CredentialProvider {
        // An explicit --profile outranks the environment's keys (botocore drops its environment provider then);
        // AWS_PROFILE does not.
        if !explicitProfile, let keys = try environmentKeys() { return keys }
        if let fromProfile = try profileProvider(name, visited: [], top: true) { return fromProfile }
        if let container = try ContainerCredentialsFetcher.from(environment, transport: transport, trace: trace) {
            return RefreshingCredentials(source: "container credentials", now: now, fetch: container.fetch)
        }
        let looked = lookedIn(profile: name, explicitProfile: explicitProfile)
        guard let metadata = try InstanceMetadataFetcher.from(environment, transport: transport, trace: trace) else {
            return MissingCredentials(error: noCredentials(looked + ["EC2 instance metadata (off: AWS_EC2_METADATA_DISABLED=true)"], profile: name))
        }
        // The last place looked: its failure is the chain's "no credentials", with the whole search in it.
        return RefreshingCredentials(source: "EC2 instance metadata", now: now) { () async throws(AWSError) -> FetchedCredentials in
            do throws(AWSError) {
                return try await metadata.fetch()
            } catch where error.code == "NoCredentials" {
                throw noCredentials(looked + ["EC2 instance metadata (\(error.message))"], profile: name)
            }
        }
    }

    private func environmentKeys() throws(AWSError) -> StaticCredentials? {
        let id = environment["AWS_ACCESS_KEY_ID"], secret = environment["AWS_SECRET_ACCESS_KEY"]
        switch (id, secret) {
        case (nil, nil):
            return nil
        case (let id?, let secret?):
            let token = environment["AWS_SESSION_TOKEN"] ?? environment["AWS_SECURITY_TOKEN"]
            return StaticCredentials(value: AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token),
                                     source: "environment variables (AWS_ACCESS_KEY_ID)")
        case (_?, nil):
            throw AWSError(code: "InvalidConfiguration", message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither")
        case (nil, _?):
            throw AWSError(code: "InvalidConfiguration", message: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither")
        }
    }

    /// The credentials a profile defines, nil when it defines none. `visited` holds the profiles that led
    /// here through `source_profile`; `top` is the profile in use (only there do the environment's web
    /// identity variables apply).
    private func profileProvider(_ name: String, visited: [String], top: Bool) throws(AWSError) -> (any CredentialProvider)? {
        let settings = files.profile(name) ?? [:]
        let chain = visited + [name]
        if let roleArn = settings["role_arn"], !roleArn.isEmpty {
            return try roleProvider(roleArn, profile: name, settings: settings, chain: chain)
        }
        if top, let roleArn = environment["AWS_ROLE_ARN"], let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"] {
            return webIdentity(roleArn: roleArn, tokenFile: tokenFile, sessionName: environment["AWS_ROLE_SESSION_NAME"],
                               duration: nil)
        }
        if settings["sso_session"] != nil || settings.keys.contains(where: { $0.hasPrefix("sso_") }) {
            throw AWSError(code: "InvalidConfiguration",
                           message: "profile \(name) signs in with AWS IAM Identity Center (SSO), which deadletter does not read yet; "
                               + "run `aws sso login --profile \(name)` and use a profile with "
                               + "`credential_process = aws configure export-credentials --profile \(name) --format process`")
        }
        if let keys = try staticKeys(files.credentialProfiles[name], profile: name, path: files.credentialsPath) { return keys }
        if let command = settings["credential_process"], !command.isEmpty {
            let environment = self.environment
            return RefreshingCredentials(source: "credential_process of profile \(name)", now: now) { () async throws(AWSError) in
                try await CredentialProcess.run(command, profile: name, environment: environment)
            }
        }
        if let keys = try staticKeys(files.configProfiles[name], profile: name, path: files.configPath) { return keys }
        return nil
    }

    private func staticKeys(_ settings: [String: String]?, profile: String, path: String?) throws(AWSError) -> StaticCredentials? {
        guard let settings else { return nil }
        let id = settings["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = settings["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
        guard let id else {
            if secret != nil {
                throw AWSError(code: "InvalidConfiguration",
                               message: "profile \(profile) in \(path ?? "?") has aws_secret_access_key but no aws_access_key_id")
            }
            return nil
        }
        guard let secret else {
            throw AWSError(code: "InvalidConfiguration",
                           message: "profile \(profile) in \(path ?? "?") has aws_access_key_id but no aws_secret_access_key")
        }
        let token = settings["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
            ?? settings["aws_security_token"].flatMap { $0.isEmpty ? nil : $0 }
        return StaticCredentials(value: AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token),
                                 source: "profile \(profile) (\(path ?? "?"))")
    }

    private func roleProvider(_ roleArn: String, profile name: String, settings: [String: String],
                              chain: [String]) throws(AWSError) -> any CredentialProvider {
        let duration: Int?
        if let text = settings["duration_seconds"] {
            guard let value = Int(text), value > 0 else {
                throw AWSError(code: "InvalidConfiguration", message: "duration_seconds of profile \(name) is not a number of seconds: \(TerminalText.escape(text))")
            }
            duration = value
        } else {
            duration = nil
        }
        let sourceProfile = settings["source_profile"].flatMap { $0.isEmpty ? nil : $0 }
        let credentialSource = settings["credential_source"].flatMap { $0.isEmpty ? nil : $0 }
        if sourceProfile == nil, credentialSource == nil, let tokenFile = settings["web_identity_token_file"] {
            return webIdentity(roleArn: roleArn, tokenFile: AWSConfigFiles.expandTilde(tokenFile, environment),
                               sessionName: settings["role_session_name"], duration: duration)
        }
        if settings["mfa_serial"] != nil {
            throw AWSError(code: "InvalidConfiguration",
                           message: "profile \(name) asks for an MFA code (mfa_serial), which deadletter cannot prompt for; "
                               + "get session credentials first (aws sts get-session-token) or use credential_process")
        }
        let source: any CredentialProvider
        let sourceDescription: String
        switch (sourceProfile, credentialSource) {
        case (_?, _?):
            throw AWSError(code: "InvalidConfiguration",
                           message: "profile \(name) sets both source_profile and credential_source: keep one")
        case (nil, nil):
            throw AWSError(code: "InvalidConfiguration",
                           message: "profile \(name) has role_arn but no source_profile, credential_source or web_identity_token_file "
                               + "to get the credentials that assume it")
        case (let sourceName?, nil):
            sourceDescription = "profile \(sourceName)"
            if sourceName == name {
                // A profile may assume a role with its own static keys.
                let fromCredentials = try staticKeys(files.credentialProfiles[name], profile: name, path: files.credentialsPath)
                let fromConfig = try staticKeys(files.configProfiles[name], profile: name, path: files.configPath)
                guard let keys = fromCredentials ?? fromConfig else {
                    throw AWSError(code: "InvalidConfiguration",
                                   message: "profile \(name) names itself as source_profile but has no aws_access_key_id")
                }
                source = keys
            } else if chain.contains(sourceName) {
                throw AWSError(code: "InvalidConfiguration",
                               message: "source_profile loop: " + (chain + [sourceName]).joined(separator: " -> "))
            } else {
                guard files.profile(sourceName) != nil else {
                    throw AWSError(code: "InvalidConfiguration",
                                   message: "profile \(name) has source_profile \(sourceName), which is not defined \(files.whereDescription)")
                }
                guard let resolved = try profileProvider(sourceName, visited: chain, top: false) else {
                    throw AWSError(code: "InvalidConfiguration",
                                   message: "source_profile \(sourceName) of profile \(name) has no credentials "
                                       + "(aws_access_key_id, credential_process or role_arn)")
                }
                source = resolved
            }
        case (nil, let kind?):
            sourceDescription = "\(kind) credentials"
            source = try namedCredentialSource(kind, profile: name)
        }
        let call = STSClient.AssumeRole(roleArn: roleArn, sessionName: roleSessionName(settings["role_session_name"]),
                                        externalId: settings["external_id"].flatMap { $0.isEmpty ? nil : $0 },
                                        durationSeconds: duration)
        let sts = self.sts
        let description = "role \(roleArn) assumed with \(sourceDescription)"
        return RefreshingCredentials(source: description, now: now) { () async throws(AWSError) in
            let base = try await source.credentials()
            return try await sts.assumeRole(call, with: base, what: description)
        }
    }

    private func namedCredentialSource(_ kind: String, profile name: String) throws(AWSError) -> any CredentialProvider {
        switch kind {
        case "Environment":
            guard let keys = try environmentKeys() else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "profile \(name) has credential_source Environment but AWS_ACCESS_KEY_ID is not set")
            }
            return keys
        case "EcsContainer":
            guard let container = try ContainerCredentialsFetcher.from(environment, transport: transport, trace: trace) else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "profile \(name) has credential_source EcsContainer but neither "
                                   + "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
            }
            return RefreshingCredentials(source: "container credentials", now: now, fetch: container.fetch)
        case "Ec2InstanceMetadata":
            guard let metadata = try InstanceMetadataFetcher.from(environment, transport: transport, trace: trace) else {
                throw AWSError(code: "InvalidConfiguration",
                               message: "profile \(name) has credential_source Ec2InstanceMetadata but AWS_EC2_METADATA_DISABLED=true")
            }
            return RefreshingCredentials(source: "EC2 instance metadata", now: now, fetch: metadata.fetch)
        default:
            throw AWSError(code: "InvalidConfiguration",
                           message: "profile \(name) has credential_source \(TerminalText.escape(kind)); "
                               + "the AWS CLI knows Environment, EcsContainer and Ec2InstanceMetadata")
        }
    }

    private func webIdentity(roleArn: String, tokenFile: String, sessionName name: String?, duration: Int?) -> any CredentialProvider {
        let sts = self.sts
        let session = roleSessionName(name)
        let description = "role \(roleArn) assumed with web identity token file \(tokenFile)"
        return RefreshingCredentials(source: description, now: now) { () async throws(AWSError) in
            // Read on every refresh: the platform (EKS, GitHub Actions) rotates the token in place.
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw AWSError(code: "InvalidConfiguration", message: "cannot read the web identity token file \(tokenFile)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return try await sts.assumeRoleWithWebIdentity(roleArn: roleArn, sessionName: session, token: token,
                                                           durationSeconds: duration, what: description)
        }
    }

    private func roleSessionName(_ configured: String?) -> String {
        if let configured, !configured.isEmpty { return configured }
        return "deadletter-\(now() / 1000)"
    }

    private func lookedIn(profile: String, explicitProfile: Bool) -> [String] {
        var places: [String] = []
        if !explicitProfile { places.append("environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: not set)") }
        places.append("profile \(profile) \(files.whereDescription) (no keys, credential_process or role_arn)")
        places.append("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI: not set)")
        return places
    }

    private func noCredentials(_ looked: [String], profile: String) -> AWSError {
        AWSError(code: "NoCredentials",
                 message: "no AWS credentials found; looked in: " + looked.joined(separator: "; ")
                     + ". Run `aws configure` (or `aws configure --profile NAME` and pass --profile NAME), or set "
                     + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for a public bucket pass --no-sign-request; for an "
                     + "SSO profile add `credential_process = aws configure export-credentials --profile \(profile) --format process` "
                     + "to a profile and use that one")
    }
}
