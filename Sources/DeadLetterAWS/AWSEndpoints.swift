import DeadLetterBytes

extension AWSSetup {
    /// The endpoint for a service id (`s3`, `sqs`, `firehose`, `events`, `sts`), as the AWS CLI picks it:
    /// `--endpoint-url`, then `AWS_ENDPOINT_URL_<SERVICE>` (`EVENTBRIDGE` for `events`), then
    /// `AWS_ENDPOINT_URL`, then the profile's `services` section and its `endpoint_url`.
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's `ignore_configured_endpoint_urls`) leaves
    /// only the flag. nil: the AWS default for the region. A value that is not an http(s) URL is an
    /// `InvalidConfiguration` error naming where it was set.
    public static func endpoint(for service: String, options: AWSOptions, environment: AWSEnvironment) throws(AWSError) -> HTTPURL? {
        if let flag = options.endpointURL { return try parse(flag, from: "--endpoint-url") }
        let files = try AWSConfigFiles.load(environment)
        return try configuredEndpoint(for: service, profile: options.profile ?? environment["AWS_PROFILE"] ?? "default",
                                      environment: environment, files: files)
    }

    /// The suffix of the service's `AWS_ENDPOINT_URL_` variable: its SDK service id, upper case, `_` for
    /// spaces and dashes.
    static func endpointVariableSuffix(_ service: String) -> String {
        switch service.lowercased() {
        case "events", "eventbridge": "EVENTBRIDGE"
        default: service.uppercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        }
    }

    /// Environment and profile only: what credential calls (STS) use, since `--endpoint-url` names the
    /// command's service, not STS.
    static func configuredEndpoint(for service: String, profile name: String, environment: AWSEnvironment,
                                   files: AWSConfigFiles) throws(AWSError) -> HTTPURL? {
        let profile = files.profile(name) ?? [:]
        if environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
            || profile["ignore_configured_endpoint_urls"]?.lowercased() == "true" {
            return nil
        }
        let suffix = endpointVariableSuffix(service)
        let specific = "AWS_ENDPOINT_URL_\(suffix)"
        if let value = environment[specific] { return try parse(value, from: specific) }
        if let value = environment["AWS_ENDPOINT_URL"] { return try parse(value, from: "AWS_ENDPOINT_URL") }
        let place = "profile \(name) (\(files.configPath ?? "config file"))"
        if let servicesName = profile["services"], let section = files.services[servicesName],
           let block = section[suffix.lowercased()], let value = INIFile.nested(block)["endpoint_url"], !value.isEmpty {
            return try parse(value, from: "endpoint_url for \(service) in services \(servicesName) of \(place)")
        }
        if let value = profile["endpoint_url"], !value.isEmpty {
            return try parse(value, from: "endpoint_url of \(place)")
        }
        return nil
    }

    private static func parse(_ text: String, from origin: String) throws(AWSError) -> HTTPURL {
        guard let url = HTTPURL(string: text) else {
            throw AWSError(code: "InvalidConfiguration",
                           message: "\(origin) is not an http:// or https:// URL: \(TerminalText.escape(text))")
        }
        return url
    }
}
