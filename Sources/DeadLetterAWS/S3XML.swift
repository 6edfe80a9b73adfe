import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One page of ListObjectsV2.
public struct S3ListPage: Sendable, Equatable {
    public struct Object: Sendable, Equatable {
        public var key: String
        public var size: Int64
        /// As S3 gives it, quotes included: sent back in `If-Match`.
        public var etag: String
    }

    public var objects: [Object] = []
    public var commonPrefixes: [String] = []
    public var nextContinuationToken: String?
    public var isTruncated = false
    /// The answer to `encoding-type=url`: keys and prefixes are percent-encoded.
    public var encodedAsURL = false
}

/// S3's XML answers, read with a real XML parser (Foundation's `XMLParser`): keys may hold any character,
/// entities included, and a string search would misread them.
enum S3XML {
    struct Malformed: Error { var reason: String }

    static func listPage(_ bytes: [UInt8]) throws(Malformed) -> S3ListPage {
        let tree = try parse(bytes)
        guard tree.name == "ListBucketResult" else { throw Malformed(reason: "expected ListBucketResult, got \(tree.name)") }
        var page = S3ListPage()
        for child in tree.children {
            switch child.name {
            case "Contents":
                guard let key = child.text("Key") else { throw Malformed(reason: "a Contents element without Key") }
                let size = Int64(child.text("Size") ?? "") ?? 0
                page.objects.append(.init(key: key, size: size, etag: child.text("ETag") ?? ""))
            case "CommonPrefixes":
                if let prefix = child.text("Prefix") { page.commonPrefixes.append(prefix) }
            case "IsTruncated":
                page.isTruncated = child.value == "true"
            case "NextContinuationToken":
                page.nextContinuationToken = child.value
            case "EncodingType":
                page.encodedAsURL = child.value == "url"
            default:
                break
            }
        }
        if page.isTruncated && (page.nextContinuationToken ?? "").isEmpty {
            throw Malformed(reason: "IsTruncated without NextContinuationToken")
        }
        return page
    }

    /// `<Error><Code>..</Code><Message>..</Message>...</Error>`; nil when the body is not such an error.
    static func error(_ bytes: [UInt8]) -> (code: String, message: String?, region: String?)? {
        guard !bytes.isEmpty, let tree = try? parse(bytes), tree.name == "Error", let code = tree.text("Code") else {
            return nil
        }
        return (code, tree.text("Message"), tree.text("Region"))
    }

    /// A small element tree: the answers are a few hundred KiB at most (1,000 keys a page).
    final class Element {
        let name: String
        var children: [Element] = []
        var value = ""

        init(name: String) { self.name = name }

        func text(_ child: String) -> String? { children.first { $0.name == child }?.value }
    }

    static func parse(_ bytes: [UInt8]) throws(Malformed) -> Element {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            throw Malformed(reason: parser.parserError.map { "\($0)" } ?? "not XML")
        }
        return root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            let element = Element(name: name)
            stack.last?.children.append(element)
            if stack.isEmpty { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.value += string
        }
    }
}
