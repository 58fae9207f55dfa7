@testable import Dataverse
import FuzzSupport

/// A `$batch` answer as the client reads it: the first line is the answer's `Content-Type`, the rest its body.
/// Only a content type with a boundary gets its body decoded, as in `DataverseClient.batch`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = inputBytes(data, size)
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
    guard let boundary = MultipartBatch.boundary(of: contentType) else { return 0 }
    for part in MultipartBatch.decodeParts(body, boundary: boundary) {
        for answer in part { _ = answer.error?.description }
    }
    return 0
}

@main enum FuzzBatchMain {
    static func main() { runLibFuzzer(fuzzBatch) }
}
