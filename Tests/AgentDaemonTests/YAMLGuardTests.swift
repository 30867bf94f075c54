import Foundation
import Testing

@testable import AgentDaemon

@Suite("YAML constructs refused before parsing")
struct YAMLGuardTests {
    @Test(
        "Explicit keys and anchors/aliases are refused with their line",
        arguments: [
            ("server:\n  ? url\n  : x\n", 2, "explicit keys"),
            ("? - a\n: b\n", 1, "explicit keys"),
            ("base: &b\n  url: x\nserver: *b\n", 1, "anchors and aliases"),
            ("notifications:\n  channels: [*c]\n", 2, "anchors and aliases"),
        ])
    func refused(text: String, line: Int, problem: String) {
        let refusal = YAMLGuard.firstRefusal(in: text)
        #expect(refusal?.line == line)
        #expect(refusal?.problem.hasPrefix(problem) == true, "\(String(describing: refusal))")
    }

    @Test(
        "Ordinary configuration text passes, with ? & * inside values, quotes and comments",
        arguments: [
            "server:\n  url: https://gws.example.com\n  username: agent1\n",
            "server:\n  url: \"http://h/? &x *y\"\n  username: 'a ? b & c'\n",
            "# why? because & so on *\nlog:\n  level: info  # or debug?\n",
            "notifications:\n  channels: [/v2/me/devices, /v2/me/channels]\nstate:\n  heartbeat_s: 10\n",
            "server:\n  username: what?\n  proxy: http://proxy:3128/a&b\n",
        ])
    func passes(text: String) {
        #expect(YAMLGuard.firstRefusal(in: text) == nil)
    }

    @Test(
        "The input fuzzing found (exponential in Yams) is refused before parsing, naming the file",
        .timeLimit(.minutes(1)))
    func fuzzFinding() async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/complex-keys-timeout.yaml").path
        await #expect {
            _ = try await ConfigurationLoader(environment: ["GWS_AGENTD_SERVER_PASSWORD": "x"]).load(
                explicitPath: fixture)
        } throws: { error in
            "\(error)".contains("explicit keys") && "\(error)".contains("complex-keys-timeout.yaml")
        }
    }
}
