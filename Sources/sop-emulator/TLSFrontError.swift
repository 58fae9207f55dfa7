/// The TLS front or its self-signed certificate could not be made; the message says why and names the flag.
struct TLSFrontError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
