/// The fixed users, tokens and credentials of the emulators, documented in docs/emulators.md.
public enum EmulatorIdentities {
    /// The organization row.
    public static let organizationId = "c0000000-0000-0000-0000-000000000001"
    /// sopd's application user: an integration user.
    public static let applicationUserId = "a0000000-0000-0000-0000-00000000a001"
    /// The bearer token of sopd's application user.
    public static let applicationUserToken = "sopd-app-token"
    /// An integration user without a token of its own, for sopd to impersonate.
    public static let integrationUserId = "a0000000-0000-0000-0000-00000000a003"
    /// The Entra object id of that integration user, for `CallerObjectId`.
    public static let integrationUserObjectId = "ad000000-0000-0000-0000-000000000003"
    /// The OAuth client id whose client-credentials tokens act as sopd's application user.
    public static let applicationClientId = "sopd-client-id"
    /// Its client secret.
    public static let applicationClientSecret = "sopd-client-secret"
    /// The tenant id the emulated token endpoint answers under: `<crm base URL>/<tenant>/oauth2/v2.0/token`.
    public static let tenantId = "emulated-tenant"
    /// A salesperson: not an integration user.
    public static let salesUserId = "a0000000-0000-0000-0000-00000000a002"
    /// The bearer token of the salesperson.
    public static let salesUserToken = "sales-user-token"
    /// The client id of sopd's app registration for Business Central.
    public static let businessCentralClientId = "sopd-bc-client"
    /// Its client secret.
    public static let businessCentralClientSecret = "sopd-bc-secret"
    /// The back office's credentials.
    public static let backOfficeCredentials = BackOfficeEmulator.Credentials(
        bearerToken: "backoffice-token", user: "sopd", password: "backoffice-password")
}
