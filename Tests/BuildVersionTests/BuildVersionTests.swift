import BuildVersion
import Foundation
import Testing

@Suite("The version")
struct BuildVersionTests {
    @Test("The binaries' version is the newest entry of packaging/changelog")
    func fromTheChangelog() throws {
        let changelog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/changelog")
        let first = try String(contentsOf: changelog, encoding: .utf8).split(separator: "\n").first ?? ""
        #expect(first.hasPrefix("gws-agentd (\(BuildVersion.current)) "), "\(first)")
        #expect(BuildVersion.current.split(separator: ".").count == 3)
    }
}
