/// How a client checks the server and proves who it is over TLS.
public struct TLSOptions: Sendable, Hashable {
    /// Whether the server's certificate chain and host name are verified. On by default; turn off only for tests.
    public var verifyPeer: Bool
    /// A PEM bundle of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// A directory of hashed CA certificates to trust instead of the system's.
    public var caPath: String?
    /// A PEM client certificate, for mutual TLS.
    public var clientCertificateFile: String?
    /// The PEM private key of the client certificate.
    public var clientKeyFile: String?
    /// The passphrase of the client key, if it has one.
    public var clientKeyPassword: String?

    /// Creates options; the defaults verify the peer against the system's trust store.
    public init(
        verifyPeer: Bool = true, caFile: String? = nil, caPath: String? = nil,
        clientCertificateFile: String? = nil, clientKeyFile: String? = nil, clientKeyPassword: String? = nil
    ) {
        self.verifyPeer = verifyPeer
        self.caFile = caFile
        self.caPath = caPath
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.clientKeyPassword = clientKeyPassword
    }
}
