/// What sopd says of its own build. Here, below every other module, so that `sopd --version`,
/// `sop-emulator --version`, the `User-Agent` header and `sopd_build_info` all say the same.
public enum BuildInfo {
    /// The version, the one place it is written: the Makefile reads it from here for the Debian package
    /// (`make deb` refuses a `deploy/debian/changelog` whose latest entry is another version).
    public static let version = "0.6.0"

    /// The `User-Agent` sopd's requests carry, such as `sopd/0.6.0`.
    public static var userAgent: String { "sopd/\(version)" }
}
