import ChildProcess
import Daemon
import Foundation
import SopdTestSupport
import Testing

/// The manual pages `make man` writes to .build/man (make test does it before the tests): they render
/// without a warning, say what `--help` says, and sopd.yaml(5) documents every configuration key.
@Suite struct ManualPageTests {
    private static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private static func page(_ name: String) throws -> String {
        let path = packageRoot.appendingPathComponent(".build/man/\(name)").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BuiltProcessError(message: "\(path) is missing: run make man (make test does)")
        }
        return text
    }

    /// Runs `command` with `arguments`; its status, stdout and stderr.
    private static func run(_ command: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let outcome = try BuiltProcess.run(command, arguments)
        return (outcome.status, outcome.standardOutput, outcome.standardError)
    }

    @Test func everyPageRendersWithoutAWarning() async throws {
        for name in ["sopd.8", "sop-emulator.1", "sopd.yaml.5"] {
            let path = Self.packageRoot.appendingPathComponent(".build/man/\(name)").path
            _ = try Self.page(name)
            let rendered = try await onDispatchQueue { try Self.run("/usr/bin/groff", ["-mandoc", "-ww", "-z", "-Tutf8", path]) }
            #expect(rendered.status == 0 && rendered.errors.isEmpty, "\(name): \(rendered.errors)")
        }
    }

    @Test func sopdsPageSaysWhatEachHelpSays() async throws {
        let page = try Self.page("sopd.8")
        let binary = BuiltProcess.binaryDirectory.appendingPathComponent("sopd").path
        let commands: [[String]] = [
            [], ["demo"], ["sop", "status"], ["sop", "enable"], ["sop", "disable"], ["journal", "list"], ["journal", "show"],
            ["journal", "retry"], ["journal", "resync"], ["status"], ["doctor"], ["config", "check"],
        ]
        for command in commands {
            let help = try await onDispatchQueue { try Self.run(binary, command + ["--help"]) }
            #expect(help.status == 0)
            let options = Set(help.output.matches(of: /--([a-z][a-z-]+)/).map { String($0.output.1) })
            #expect(options.contains("help"), "\(command): \(help.output)")
            for option in options {
                #expect(page.contains("Fl -\(option)"), "sopd \(command.joined(separator: " ")): --\(option) is not in sopd.8")
            }
            let abstract = help.output.split(separator: "\n").first.map { $0.replacingOccurrences(of: "OVERVIEW: ", with: "") } ?? ""
            #expect(page.contains(abstract), "sopd \(command.joined(separator: " ")): its overview is not in sopd.8")
        }
        #expect(page.contains(".Dt SOPD 8"))
        let emulator = try Self.page("sop-emulator.1")
        #expect(emulator.contains(".Dt SOP-EMULATOR 1"))
        #expect(emulator.contains("Fl -crm-port"))
    }

    @Test func theConfigurationPageDocumentsEveryKey() throws {
        let page = try Self.page("sopd.yaml.5")
        #expect(page.contains(".Dt SOPD.YAML 5"))
        for entry in ConfigSchema.entries {
            #expect(page.contains(" \(entry.key)\n") || page.contains(" \(entry.key) "), "sopd.yaml.5 lacks \(entry.key)")
        }
    }

    @Test func theCopyrightFileNamesEveryPackageBuiltIn() throws {
        let copyright = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("deploy/debian/copyright"), encoding: .utf8)
        let checkouts = try FileManager.default.contentsOfDirectory(
            atPath: Self.packageRoot.appendingPathComponent(".build/checkouts").path)
        #expect(!checkouts.isEmpty)
        for package in checkouts where !package.hasPrefix(".") {
            #expect(copyright.contains(package), "deploy/debian/copyright does not name \(package)")
        }
    }
}
