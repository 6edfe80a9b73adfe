/// An array that grows by whole chunks of a fixed size and never moves what it holds: growing a plain
/// array to tens of thousands of entries copies it again and again, and the copies it leaves behind stay
/// in the process's memory. Emptied, it keeps its chunks for the next fill.
struct ChunkedArray<Element> {
    private var chunks: [[Element]] = []
    private(set) var count = 0
    private static var chunkSize: Int { 4096 }

    var isEmpty: Bool { count == 0 }

    subscript(index: Int) -> Element {
        chunks[index / Self.chunkSize][index % Self.chunkSize]
    }

    mutating func append(_ element: Element) {
        let chunk = count / Self.chunkSize
        if chunk == chunks.count {
            chunks.append([])
            chunks[chunk].reserveCapacity(Self.chunkSize)
        }
        chunks[chunk].append(element)
        count += 1
    }

    mutating func removeAll() {
        for i in chunks.indices { chunks[i].removeAll(keepingCapacity: true) }
        count = 0
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}
