import DeadLetterInput
/// A line or object that is not a failure record.
public struct MalformedLine: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var reason: String
    /// Junk after a JSON object on the same line: counted as `trailingJunk`, not as a malformed unit, so
    /// the line is counted once (as the object's) and `records + malformed + blankLines = lines` holds.
    public var trailing = false

    public init(file: String, line: Int, reason: String, trailing: Bool = false) {
        self.file = file
        self.line = line
        self.reason = reason
        self.trailing = trailing
    }

    /// As shown on stderr after `file:line: `.
    public var message: String { trailing ? "trailing junk after a JSON object: \(reason)" : "malformed: \(reason)" }
}

/// What reading one input found, besides its records.
public struct FileStatistics: Sendable {
    public var path: String
    public var bytesRead: Int64 = 0
    public var lines = 0
    public var blankLines = 0
    public var compression: Compression = .none
    public var error: InputError?

    package init(path: String) { self.path = path }
}
