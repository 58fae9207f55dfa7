/// What sopd says of its own build.
public enum BuildInfo {
    /// The version, as the Debian package and `sopd_build_info{version}` give it; the Makefile reads it from here.
    public static let version = "0.5.0"
}
