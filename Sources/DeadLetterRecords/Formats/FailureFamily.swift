/// How strongly a record's own fields point at a family.
public enum Evidence: Int, Comparable, Sendable {
    case none = 0, weak = 1, strong = 2
    public static func < (a: Evidence, b: Evidence) -> Bool { a.rawValue < b.rawValue }
}

/// The fields of a record that tell families apart, gathered once per record.
public struct FieldClues: Sendable {
    public var errorCode: String?
    public var hasLastErrorKeys = false
    public var hasLambdaArn = false
    public var hasESKeys = false
    public var hasOSKeys = false
    public var hasEventId = false
    public var hasDataId = false
    public var hasDataCatalogTable = false
    public var hasEntries = false
    public var hasRawData = false

    public init() {}

    func errorCodeHasNamespace(_ namespaces: [String]) -> Bool {
        guard let errorCode else { return false }
        return namespaces.contains { errorCode.hasPrefix($0) }
    }
}

/// One Firehose failure family: how to recognise it and what it adds to the common record.
public protocol FailureFamily: Sendable {
    var kind: FailureKind { get }
    /// Folder names Firehose writes for this family (matched inside the key's folders).
    var folderMarkers: [String] { get }
    /// How strongly the record's fields alone say it belongs here.
    func evidence(_ clues: FieldClues) -> Evidence
    /// Family-specific refinements after the common fields were read.
    func finish(_ record: inout FailureRecord, clues: FieldClues)
}

extension FailureFamily {
    public func finish(_ record: inout FailureRecord, clues: FieldClues) {}
}

/// The registry of families and the rules that pick one for a record.
public enum FailureFamilies {
    public static let all: [any FailureFamily] = [
        ProcessingFailedFamily(), FormatConversionFailedFamily(), RedshiftManifestFamily(),
        OpenSearchFamily(), OpenSearchServerlessFamily(), SplunkFamily(), HTTPEndpointFamily(),
        SnowflakeFamily(), IcebergFamily(), DecompressionFailedFamily(), EventBridgeDLQFamily(),
    ]

    /// Each kind's family, in the order of `FailureKind.allCases`: looked up once per record, where a search
    /// through `all` cost a call through the protocol for every family before it.
    private static let byKind: [(any FailureFamily)?] = {
        var table = [(any FailureFamily)?](repeating: nil, count: FailureKind.allCases.count)
        var filled = Set<Int>()
        for kind in FailureKind.allCases {
            precondition(filled.insert(kindIndex(kind)).inserted, "two kinds share a slot")
            table[kindIndex(kind)] = all.first { $0.kind == kind }
        }
        return table
    }()

    public static func family(_ kind: FailureKind) -> (any FailureFamily)? {
        byKind[kindIndex(kind)]
    }

    private static func kindIndex(_ kind: FailureKind) -> Int {
        switch kind {
        case .processingFailed: return 0
        case .formatConversionFailed: return 1
        case .redshiftManifest: return 2
        case .openSearch: return 3
        case .openSearchServerless: return 4
        case .splunk: return 5
        case .httpEndpoint: return 6
        case .snowflake: return 7
        case .iceberg: return 8
        case .decompressionFailed: return 9
        case .eventBridgeDLQ: return 10
        case .unknown: return 11
        }
    }

    /// The family named by the deepest folder of the key that carries a marker.
    /// A custom error prefix may put the marker anywhere in a folder name, so markers match as substrings.
    public static func kind(forKey key: String) -> FailureKind? {
        let folders = key.split(separator: "/", omittingEmptySubsequences: true).dropLast()
            .map { $0.lowercased() }
        // `errors/manifests` spans two folders.
        for index in folders.indices.reversed() {
            let folder = folders[index]
            if folder == "manifests", index > folders.startIndex, folders[index - 1].hasSuffix("errors") {
                return .redshiftManifest
            }
            let bytes = Array(folder.utf8)
            for (kind, markers) in folderMarkers where markers.contains(where: { Self.bytes(bytes, contain: $0) }) {
                return kind
            }
        }
        return nil
    }

    /// Every family's folder markers as bytes, in the order of `all`.
    private static let folderMarkers: [(FailureKind, [[UInt8]])] = all.map { ($0.kind, $0.folderMarkers.map { Array($0.utf8) }) }

    /// Substring search on bytes. `String.contains` resolves to Foundation's here, which cost thousands of
    /// instructions a call, and every input file asks it for each folder and marker. The standard library's
    /// generic `firstRange(of:)` was measured too: it gave back half of the saving (1% of `summarize`).
    static func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return false }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// Picks the family: the key's folder first (Firehose chose it), refined by the fields where a folder is
    /// shared (OpenSearch Service and Serverless); else the strongest field evidence; else `fallback`.
    public static func infer(clues: FieldClues, fromPath: FailureKind?, fallback: FailureKind?) -> FailureKind {
        if let fromPath {
            if fromPath == .openSearch && clues.hasOSKeys && !clues.hasESKeys { return .openSearchServerless }
            return fromPath
        }
        var best: (FailureKind, Evidence) = (.unknown, .none)
        for family in all {
            let evidence = family.evidence(clues)
            if evidence > best.1 { best = (family.kind, evidence) }
        }
        if best.1 == .none, let fallback { return fallback }
        return best.0
    }
}
