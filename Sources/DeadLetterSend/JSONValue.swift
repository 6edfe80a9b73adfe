import Foundation

/// The small answers of the services (PutRecordBatch, PutEvents), read with Foundation's JSON parser: they
/// are a few KB, off the hot path, and their shape varies by error.
struct JSONValue {
    let value: Any

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return nil }
        return JSONValue(value: object)
    }

    subscript(key: String) -> JSONValue? {
        guard let dict = value as? [String: Any], let v = dict[key], !(v is NSNull) else { return nil }
        return JSONValue(value: v)
    }

    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber)?.intValue }
    var bool: Bool? { value as? Bool }
    var array: [JSONValue]? { (value as? [Any])?.map { JSONValue(value: $0) } }
}
