import Foundation

/// The files of this package's checkout, for tests that read what ships beside the code (docs/examples, …).
public enum PackageFiles {
    /// The folder holding Package.swift.
    public static let root: String = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            folder.deleteLastPathComponent()
        }
        return folder.path
    }()

    /// The path of `relative` in the checkout.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The text of `relative`.
    public static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }
}
