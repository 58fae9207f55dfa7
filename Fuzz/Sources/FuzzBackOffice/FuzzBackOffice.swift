import BackOffice
import FuzzSupport

/// Any bytes as the back office's answer to `GET /changes` and to `POST /orders`: either decoder may
/// refuse them with a `BackOfficeError`, neither may crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBackOffice(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = inputBytes(data, size)
    do {
        let page = try ChangePage(decoding: bytes, after: "0", status: 200)
        for event in page.events { _ = event.kind }
    } catch {
        _ = error.description
    }
    do {
        _ = try OrderReceipt(decoding: bytes, status: 201)
    } catch {
        _ = error.description
    }
    return 0
}

@main enum FuzzBackOfficeMain {
    static func main() { runLibFuzzer(fuzzBackOffice) }
}
