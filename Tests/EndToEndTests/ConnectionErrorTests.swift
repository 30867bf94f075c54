import AgentState
import Foundation
import GWSSimulator
import ScriptedHTTPServer
import Testing

/// The daemon and `check-config --online` name why GWS cannot be reached: the class of
/// failure, where, libcurl's own words and a hint, in the log, in `STATUS=`, in the state
/// file's `connection.last_error` and on the command's stderr (exit 69).
@Suite("Errors that name their cause, end to end", .serialized)
struct ConnectionErrorTests {
    /// One way of failing to reach GWS.
    struct Scenario: CustomStringConvertible {
        var description: String
        var url: String
        var server: [String] = []
        /// The start of the message: class and endpoint.
        var prefix: String
        var hint: String
        /// More text the message must hold (a certificate's names, say).
        var fragments: [String] = []
    }

    /// Checks every surface for `scenario`, then stops the daemon.
    func check(_ scenario: Scenario, _ f: DaemonFixture) async throws {
        try f.writeConfig(url: scenario.url, server: scenario.server)
        let daemon = try f.start()
        let failed = await f.waitForState("\(scenario): last_error with the class and the hint") {
            $0.connection.lastError?.message.contains(scenario.hint) == true
        }
        let message = failed?.connection.lastError?.message ?? ""
        #expect(message.hasPrefix(scenario.prefix), "\(scenario): \(message)")
        for fragment in scenario.fragments { #expect(message.contains(fragment), "\(scenario): \(message)") }
        await f.notify.wait(for: "\(scenario): STATUS= with the hint") {
            $0.contains { $0.hasPrefix("STATUS=") && $0.contains(scenario.hint) }
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
        #expect(daemon.output.contains(scenario.prefix), "\(scenario): the log names the class")
        #expect(!daemon.output.contains(DaemonFixture.password))

        let online = try await runCommand(
            ["check-config", "--online", "--config", f.configPath], directory: f.directory)
        #expect(online.status == 69, "\(scenario): check-config --online exit \(online.status)")
        #expect(online.stderr.contains("cannot reach GWS: " + scenario.prefix), "\(scenario): \(online.stderr)")
        #expect(online.stderr.contains(scenario.hint), "\(scenario): \(online.stderr)")
    }

    @Test("Over TLS to gws-sim: a good certificate works; an unknown CA, an expired one and another name are named")
    func tls() async throws {
        let certificates = try await TLSCertificates.make()
        defer { certificates.remove() }
        try await withDaemon { f in
            let simPort = try #require(URL(string: f.url)?.port)
            func front(_ fixture: TLSCertificates.Case) async throws -> TLSServerProcess {
                try await TLSServerProcess.start(certificates, fixture, forwardingTo: simPort)
            }
            // The TLS front works with the right CA: the failures below are the certificates'.
            let good = try await front(.good)
            defer { good.stop() }
            try f.writeConfig(url: good.baseURL, server: ["ca_file: \(certificates.ca)"])
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)

            try await check(
                Scenario(
                    description: "unknown CA", url: good.baseURL,
                    prefix: "TLS error: certificate from an unknown issuer at 127.0.0.1:\(good.port): ",
                    hint: "set server.ca_file to the CA that signed GWS's certificate"), f)
            let expired = try await front(.expired)
            defer { expired.stop() }
            try await check(
                Scenario(
                    description: "expired", url: expired.baseURL, server: ["ca_file: \(certificates.ca)"],
                    prefix: "TLS error: certificate expired at 127.0.0.1:\(expired.port) (valid until ",
                    hint: "renew GWS's certificate, or correct this host's clock if it is wrong"), f)
            let other = try await front(.otherName)
            defer { other.stop() }
            try await check(
                Scenario(
                    description: "another name", url: other.baseURL, server: ["ca_file: \(certificates.ca)"],
                    prefix: "TLS error: certificate for another name at 127.0.0.1:\(other.port): ",
                    hint:
                        "server.url must name GWS as its certificate does (DNS:gws.example.test, DNS:gws2.example.test)"
                ), f)
        }
    }

    @Test("Mutual TLS: the configured client certificate gets through a GWS front that requires one; none is refused")
    func mutualTLS() async throws {
        let certificates = try await TLSCertificates.make()
        defer { certificates.remove() }
        try await withDaemon { f in
            let simPort = try #require(URL(string: f.url)?.port)
            let front = try await TLSServerProcess.start(
                certificates, .good, forwardingTo: simPort, requireClientCertificate: true)
            defer { front.stop() }
            try f.writeConfig(
                url: front.baseURL,
                server: [
                    "ca_file: \(certificates.ca)", "client_certificate_file: \(certificates.clientCertificate)",
                    "client_key_file: \(certificates.clientKey)",
                ])
            let check = try await runCommand(["check-config", "--config", f.configPath], directory: f.directory)
            #expect(check.status == 0, "\(check.stderr)")
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil, "synced through the front that requires a client certificate")
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            // Without one, the front refuses the handshake: a failure, never a session.
            try f.writeConfig(url: front.baseURL, server: ["ca_file: \(certificates.ca)"])
            let refused = try f.start()
            let failed = await f.waitForState("a refused TLS handshake in last_error") {
                $0.connection.lastError != nil
            }
            #expect(failed?.agent.synced == false)
            refused.signal(SIGTERM)
            #expect(await refused.waitForExit() == 0)
            // Half a pair, or a missing file, is a configuration error that says which.
            try f.writeConfig(
                url: front.baseURL, server: ["client_certificate_file: \(certificates.clientCertificate)"])
            let half = try await runCommand(["check-config", "--config", f.configPath], directory: f.directory)
            #expect(half.status == 78)
            #expect(half.stderr.contains("server.client_key_file"), "\(half.stderr)")
            try f.writeConfig(
                url: front.baseURL,
                server: ["client_certificate_file: /nonexistent.pem", "client_key_file: \(certificates.clientKey)"])
            let missing = try await runCommand(["check-config", "--config", f.configPath], directory: f.directory)
            #expect(missing.stderr.contains("'/nonexistent.pem' does not exist"), "\(missing.stderr)")
        }
    }

    @Test("Nothing listening, a name that does not resolve, a proxy that refuses")
    func connection() async throws {
        try await withDaemon { f in
            let closed = try unusedLoopbackPort()
            try await check(
                Scenario(
                    description: "not listening", url: "http://127.0.0.1:\(closed)",
                    prefix: "connection refused at 127.0.0.1:\(closed): ",
                    hint: "check that GWS listens there: the host and port in server.url"), f)
            try await check(
                Scenario(
                    description: "unresolvable", url: "https://gws.invalid:8443",
                    prefix: "host name does not resolve at gws.invalid:8443: ",
                    hint: "check the host name in server.url and this host's DNS"), f)
            let proxy = try unusedLoopbackPort()
            try await check(
                Scenario(
                    description: "refusing proxy", url: f.url, server: ["proxy: http://127.0.0.1:\(proxy)"],
                    prefix: "proxy refused the connection at 127.0.0.1:\(try #require(URL(string: f.url)?.port)) "
                        + "via proxy 127.0.0.1:\(proxy): ",
                    hint: "check that the proxy runs and server.proxy names it"), f)
        }
    }
}
