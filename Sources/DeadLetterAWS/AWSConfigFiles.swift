import Foundation

/// The AWS CLI's INI dialect, as botocore reads it with Python's `configparser`: `[section]` headers,
/// `key = value` or `key: value` (the first `=` or `:` splits), keys case-insensitive (lowercased), full-line
/// comments starting with `#` or `;` (no inline comments: a secret may hold `#`), and a line indented deeper
/// than its key continues the value (joined with `\n`; that is how nested `s3 =` blocks of `[services x]` are
/// written). A repeated section merges into the first, later keys winning.
struct INIFile: Sendable, Equatable {
    /// Section name (trimmed) -> key (lowercased) -> value.
    var sections: [String: [String: String]] = [:]

    struct ParseError: Error, Equatable {
        var line: Int
        var reason: String
    }

    init(sections: [String: [String: String]]) { self.sections = sections }

    init(parsing text: String) throws(ParseError) {
        var section: String?
        var key: String?
        var keyIndent = Int.max
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.isEmpty {
                // configparser ends a value at a blank line only when the next line is not indented deeper; a
                // blank inside a nested block is rare enough to treat as its end.
                keyIndent = Int.max
                continue
            }
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            if let section, let key, indent > keyIndent {
                let previous = sections[section]?[key] ?? ""
                sections[section]?[key] = previous + "\n" + trimmed
                continue
            }
            keyIndent = indent
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    throw ParseError(line: number, reason: "a section header must read [name]")
                }
                let name = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                section = name
                key = nil
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section else {
                throw ParseError(line: number, reason: "a setting before any [section] header")
            }
            guard let split = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ParseError(line: number, reason: "expected key = value")
            }
            let name = trimmed[..<split].trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty else { throw ParseError(line: number, reason: "a setting without a name") }
            let value = trimmed[trimmed.index(after: split)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][name] = value
            key = name
        }
    }

    /// The `key = value` lines of a nested value (`s3 =` then indented `endpoint_url = ...`).
    static func nested(_ value: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in value.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let k = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            out[k] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}

/// `~/.aws/config` and `~/.aws/credentials` (or `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`), read once.
/// A missing file is an empty one, as for the AWS CLI; an unreadable or malformed one is an error naming it.
struct AWSConfigFiles: Sendable {
    var configPath: String?
    var credentialsPath: String?
    /// `[profile NAME]` and `[default]` of the config file, by profile name.
    var configProfiles: [String: [String: String]] = [:]
    /// `[NAME]` of the credentials file.
    var credentialProfiles: [String: [String: String]] = [:]
    /// `[services NAME]` of the config file.
    var services: [String: [String: String]] = [:]

    init(configPath: String?, credentialsPath: String?) {
        self.configPath = configPath
        self.credentialsPath = credentialsPath
    }

    static func load(_ environment: AWSEnvironment) throws(AWSError) -> AWSConfigFiles {
        let configPath = path(environment["AWS_CONFIG_FILE"], default: ".aws/config", environment)
        let credentialsPath = path(environment["AWS_SHARED_CREDENTIALS_FILE"], default: ".aws/credentials", environment)
        var files = AWSConfigFiles(configPath: configPath, credentialsPath: credentialsPath)
        if let configPath, let ini = try read(configPath) {
            for (name, values) in ini.sections {
                let words = name.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.count == 2, words[0] == "profile" {
                    files.configProfiles[String(words[1])] = values
                } else if words.count == 2, words[0] == "services" {
                    files.services[String(words[1])] = values
                }
            }
            // `[profile default]` wins over `[default]` when both exist, as in botocore.
            if let plain = ini.sections["default"] {
                files.configProfiles["default"] = plain.merging(files.configProfiles["default"] ?? [:]) { _, b in b }
            }
        }
        if let credentialsPath, let ini = try read(credentialsPath) {
            files.credentialProfiles = ini.sections
        }
        return files
    }

    /// The profile's settings, the credentials file's winning over the config file's (botocore merges them
    /// that way); nil when neither file has it.
    func profile(_ name: String) -> [String: String]? {
        let config = configProfiles[name]
        let credentials = credentialProfiles[name]
        if config == nil && credentials == nil { return nil }
        return (config ?? [:]).merging(credentials ?? [:]) { _, b in b }
    }

    /// "in /home/me/.aws/credentials and /home/me/.aws/config", for messages.
    var whereDescription: String {
        let paths = [credentialsPath, configPath].compactMap { $0 }
        if paths.isEmpty { return "in no file (HOME is not set and neither AWS_SHARED_CREDENTIALS_FILE nor AWS_CONFIG_FILE is)" }
        return "in " + paths.joined(separator: " and ")
    }

    private static func path(_ given: String?, default relative: String, _ environment: AWSEnvironment) -> String? {
        if let given { return expandTilde(given, environment) }
        guard let home = environment.home, !home.isEmpty else { return nil }
        return home.hasSuffix("/") ? home + relative : home + "/" + relative
    }

    static func expandTilde(_ path: String, _ environment: AWSEnvironment) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = environment.home else { return path }
        return home + path.dropFirst()
    }

    private static func read(_ path: String) throws(AWSError) -> INIFile? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw AWSError(code: "InvalidConfiguration", message: "cannot read the AWS settings file \(path)")
        }
        do {
            return try INIFile(parsing: String(decoding: data, as: UTF8.self))
        } catch {
            throw AWSError(code: "InvalidConfiguration",
                           message: "cannot parse the AWS settings file \(path), line \(error.line): \(error.reason)")
        }
    }
}
