import BayeuxCore
import Foundation
import Logging
import TestSupport
import Testing

@testable import AgentDaemon

@Suite("Configuration loading")
struct ConfigurationLoaderTests {
    let dir: TemporaryDirectory
    let passwordFile: String

    init() throws {
        dir = try TemporaryDirectory()
        passwordFile = try dir.write("password", "s3cret-pw\n")
    }

    func config(_ body: String) throws -> String {
        try dir.write("config.yaml", body, mode: 0o644)
    }

    var minimal: String {
        """
        server:
          url: https://gws.example.com/
          username: agent1
          password_file: \(passwordFile)
        state:
          file: \(dir.path)/state.json
        """
    }

    func load(
        _ path: String?, environment: [String: String] = [:]
    ) async throws(ConfigurationError) -> DaemonConfiguration {
        try await ConfigurationLoader(environment: environment).load(explicitPath: path)
    }

    @Test("A minimal file gets the documented defaults")
    func defaults() async throws {
        let configuration = try await load(try config(minimal))
        #expect(configuration.server.url == "https://gws.example.com")
        #expect(configuration.server.notificationsURL == "https://gws.example.com/api/v2/notifications")
        #expect(configuration.agents.first?.username == "agent1")
        #expect(configuration.agents.first?.password.secret == "s3cret-pw")
        #expect(configuration.server.tlsVerify)
        #expect(configuration.server.maxNetworkDelay == .seconds(10))
        #expect(configuration.channels == ["/v2/me/devices", "/v2/me/channels", "/v2/me/calls"])
        #expect(configuration.startContactCenterSession == false)
        #expect(configuration.publishCallDetails == false)
        #expect(configuration.heartbeatSeconds == 10)
        #expect(configuration.logFormat == .auto)
        #expect(configuration.logLevel == .info)
        #expect(configuration.metricsTextfile == nil)
        #expect(configuration.metricsPerAgentLimit == 100)
        #expect(configuration.server.requestedTimeout == nil)
        #expect(configuration.server.backoff == BackoffPolicy())
    }

    @Test("Every key can be set in the file")
    func everyKey() async throws {
        let ca = try dir.write("ca.pem", "x", mode: 0o644)
        let configuration = try await load(
            try config(
                """
                server:
                  url: http://127.0.0.1:8090
                  username: agent2
                  password_file: \(passwordFile)
                  ca_file: \(ca)
                  tls_verify: false
                  allow_insecure: true
                  proxy: http://proxy:3128
                  max_network_delay_s: 2.5
                  requested_timeout_s: 20
                  backoff_increment_s: 0.5
                  backoff_max_s: 120
                notifications:
                  channels: [/v2/me/devices]
                session:
                  start_contact_center_session: true
                state:
                  file: /run/x/state.json
                  heartbeat_s: 30
                log:
                  format: json
                  level: debug
                metrics:
                  textfile: /var/lib/prometheus/node-exporter/gws_agentd.prom
                  per_agent_limit: 0
                control:
                  socket: /run/x/control.sock
                  group: root
                  operator_groups: ["root: agent2", "nogroup: *"]
                """))
        #expect(configuration.controlSocket == "/run/x/control.sock")
        #expect(configuration.controlGroup == "root")
        #expect(configuration.operatorGroups.grants?.map(\.group) == ["root", "nogroup"])
        #expect(configuration.operatorGroups.grants?.first?.agents == ["agent2"])
        #expect(configuration.server.caFile == ca)
        #expect(configuration.server.tlsVerify == false)
        #expect(configuration.server.proxy == "http://proxy:3128")
        #expect(configuration.server.maxNetworkDelay == .milliseconds(2500))
        #expect(configuration.server.requestedTimeout == .seconds(20))
        #expect(configuration.server.backoffIncrement == .milliseconds(500))
        #expect(configuration.server.backoffMaximum == .seconds(120))
        #expect(configuration.channels == ["/v2/me/devices"])
        #expect(configuration.startContactCenterSession)
        #expect(configuration.agents.first?.stateFile == "/run/x/state.json")
        #expect(configuration.heartbeatSeconds == 30)
        #expect(configuration.logFormat == .json)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.metricsTextfile == "/var/lib/prometheus/node-exporter/gws_agentd.prom")
        #expect(configuration.metricsPerAgentLimit == 0)
    }

    @Test("GWS_AGENTD_ variables override the file")
    func environmentOverrides() async throws {
        let configuration = try await load(
            try config(minimal),
            environment: [
                "GWS_AGENTD_SERVER_URL": "https://other.example.com", "GWS_AGENTD_LOG_LEVEL": "warning",
                "GWS_AGENTD_STATE_HEARTBEAT_S": "5", "GWS_AGENTD_SERVER_TLS_VERIFY": "false",
                "GWS_AGENTD_SERVER_ALLOW_INSECURE": "true",
                "GWS_AGENTD_NOTIFICATIONS_CHANNELS": "/v2/me/channels,/v2/me/devices",
            ])
        #expect(configuration.server.url == "https://other.example.com")
        #expect(configuration.logLevel == .warning)
        #expect(configuration.heartbeatSeconds == 5)
        #expect(configuration.server.tlsVerify == false)
        #expect(configuration.channels == ["/v2/me/channels", "/v2/me/devices"])
    }

    @Test("Without a file at the default places, the environment alone configures")
    func environmentOnly() async throws {
        let configuration = try await load(
            nil,
            environment: [
                "CONFIGURATION_DIRECTORY": dir.path + "/absent", "GWS_AGENTD_SERVER_URL": "https://h:1",
                "GWS_AGENTD_SERVER_USERNAME": "a", "GWS_AGENTD_SERVER_PASSWORD": "pw",
                "RUNTIME_DIRECTORY": "/run/gws-agentd",
            ])
        #expect(configuration.agents.first?.stateFile == "/run/gws-agentd/state.json")
        #expect(configuration.agents.first?.password.secret == "pw")
        #expect(configuration.agents.first?.password.source == "GWS_AGENTD_SERVER_PASSWORD")
    }

    @Test("The path: --config, else $CONFIGURATION_DIRECTORY/config.yaml, else /etc")
    func path() {
        #expect(ConfigurationLoader(environment: [:]).path(explicit: "/x.yaml") == "/x.yaml")
        #expect(
            ConfigurationLoader(environment: ["CONFIGURATION_DIRECTORY": "/etc/gws-agentd"]).path(explicit: nil)
                == "/etc/gws-agentd/config.yaml")
        #expect(ConfigurationLoader(environment: [:]).path(explicit: nil) == "/etc/gws-agentd/config.yaml")
    }

    @Test("The systemd credential is used when no password file is configured")
    func credential() async throws {
        let credentials = dir.path + "/creds"
        mkdir(credentials, 0o700)
        try dir.write("creds/gws-password", "from-credential\n", mode: 0o644)
        let body = minimal.split(separator: "\n").filter { !$0.contains("password_file") }.joined(separator: "\n")
        let configuration = try await load(try config(body), environment: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(configuration.agents.first?.password.secret == "from-credential")
    }

    @Test(
        "Bad configurations name the key",
        arguments: [
            ("server:\n  url: x\n", "server.url"),
            ("server:\n  url: \n", "server.url"),
            ("server:\n  username: \n", "server.username"),
            ("server:\n  url: https://h\n  username: a\n  tls_verify: maybe\n", "server.tls_verify"),
            ("server:\n  url: https://h\n  username: a\n  colour: blue\n", "server.colour"),
            ("servr:\n  url: https://h\n", "servr.url"),
            ("server:\n  url: https://h\n  username: a\n  password: pw\n", "server.password"),
            ("server:\n  url: https://h/api/v2\n  username: a\n", "server.url"),
            ("log:\n  level: loud\n", "log.level"),
            ("log:\n  format: xml\n", "log.format"),
            ("state:\n  heartbeat_s: 0\n", "state.heartbeat_s"),
            ("state:\n  heartbeat_s: ten\n", "state.heartbeat_s"),
            ("state:\n  file: relative.json\n", "state.file"),
            ("notifications:\n  channels: devices\n", "notifications.channels"),
            ("metrics:\n  textfile: /tmp/x.txt\n", "metrics.textfile"),
            ("metrics:\n  per_agent_limit: -1\n", "metrics.per_agent_limit"),
            ("server:\n  requested_timeout_s: 0\n", "server.requested_timeout_s"),
            ("server:\n  backoff_increment_s: 0\n", "server.backoff_increment_s"),
            ("server:\n  backoff_max_s: 0.5\n", "server.backoff_max_s"),
            ("server:\n  backoff_increment_s: 10\n  backoff_max_s: 5\n", "server.backoff_max_s"),
            ("metrics:\n  per_agent_limit: many\n", "metrics.per_agent_limit"),
        ])
    func badKeys(body: String, key: String) async throws {
        // The minimal file's keys first, then the bad ones override or add.
        var lines: [String: [String]] = [:]
        var section = ""
        for line in (minimal + "\n" + body).split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" ") {
                section = line
                if lines[section] == nil { lines[section] = [] }
            } else {
                let name = line.split(separator: ":").first.map(String.init) ?? line
                lines[section]?.removeAll { $0.split(separator: ":").first.map(String.init) == name }
                lines[section]?.append(line)
            }
        }
        let text = lines.map { ([$0.key] + $0.value).joined(separator: "\n") }.joined(separator: "\n")
        let path = try config(text)
        let error = await #expect(throws: ConfigurationError.self) { try await load(path) }
        #expect(error?.key.hasPrefix(key) == true, "\(String(describing: error))")
    }

    @Test("A password file readable by others is refused; the message never holds the password")
    func passwordPermissions() async throws {
        chmod(passwordFile, 0o644)
        let path = try config(minimal)
        let error = await #expect(throws: ConfigurationError.self) { try await load(path) }
        #expect(error?.key.hasPrefix("server.password_file") == true)
        #expect(error?.problem.contains("chmod go-w,o-r") == true)
        #expect(error.map { "\($0)".contains("s3cret") } == false)
    }

    @Test("A password file: no symbolic link, no group write, an owner that is root or this user")
    func passwordFileChecks() async throws {
        let path = try config(minimal)
        chmod(passwordFile, 0o620)
        let groupWritable = await #expect(throws: ConfigurationError.self) { try await load(path) }
        #expect(groupWritable?.problem.contains("accessible by other users (mode 620)") == true)
        // Readable by the group only when it is the service user's own group, with nobody else in it.
        let ownGroup = getpwuid(geteuid()).map { $0.pointee.pw_gid } ?? 0
        chown(passwordFile, geteuid(), ownGroup)
        chmod(passwordFile, 0o640)
        if ServiceUserGroup.refusal(ownGroup) == nil {
            #expect(try await load(path).agents.first?.password.secret == "s3cret-pw")
        }
        if getuid() == 0, let other = getgrnam("nogroup")?.pointee.gr_gid ?? getgrnam("daemon")?.pointee.gr_gid {
            chown(passwordFile, geteuid(), other)
            let shared = await #expect(throws: ConfigurationError.self) { try await load(path) }
            #expect(
                shared?.problem.contains("readable by its group") == true
                    && shared?.problem.contains("chmod g-r") == true,
                "\(String(describing: shared))")
            chown(passwordFile, geteuid(), ownGroup)
        }
        let link = dir.path + "/password-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: passwordFile)
        let linked = try dir.write(
            "linked.yaml", minimal.replacingOccurrences(of: passwordFile, with: link), mode: 0o644)
        let refused = await #expect(throws: ConfigurationError.self) { try await load(linked) }
        #expect(refused?.problem.contains("symbolic link") == true, "\(String(describing: refused))")
        if getuid() == 0 {
            chown(passwordFile, 65534, 65534)
            let foreign = await #expect(throws: ConfigurationError.self) { try await load(path) }
            #expect(foreign?.problem.contains("belongs to uid 65534") == true)
        }
    }

    @Test("Loopback means 127.0.0.0/8 and ::1 as addresses; a proxy counts; no user information in URLs")
    func addressesProxiesAndUserInfo() async throws {
        func server(_ lines: String, environment: [String: String] = [:]) async -> String {
            let yaml =
                "server:\n  username: agent1\n  password_file: \(passwordFile)\n\(lines)state:\n  file: \(dir.path)/s.json\n"
            do {
                _ = try await load(try config(yaml), environment: environment)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(await server("  url: http://127.0.0.1:8080\n") == "accepted")
        #expect(await server("  url: http://127.12.0.9\n") == "accepted")
        #expect(await server("  url: http://[::1]:8080\n") == "accepted")
        #expect(await server("  url: http://127.evil.example\n").contains("cleartext HTTP to http://127.evil.example"))
        #expect(await server("  url: http://localhost:8080\n").contains("cleartext"), "a name is not an address")
        #expect(await server("  url: http://1127.0.0.1\n").contains("cleartext"))
        // Through a proxy elsewhere, loopback cleartext is cleartext on the network.
        #expect(
            await server("  url: http://127.0.0.1:8080\n  proxy: http://proxy.example:3128\n")
                .contains("through the proxy proxy.example:3128"))
        #expect(
            await server("  url: http://127.0.0.1:8080\n", environment: ["http_proxy": "http://proxy.example:3128"])
                .contains("through the proxy"))
        #expect(
            await server(
                "  url: http://127.0.0.1:8080\n",
                environment: ["http_proxy": "http://proxy.example:3128", "no_proxy": "127.0.0.1"]) == "accepted")
        #expect(
            await server("  url: https://agent1:pw@gws.example.com\n").contains("server.url: must not hold a user name")
        )
        #expect(
            await server("  url: https://gws.example.com\n  proxy: http://u:p@proxy:3128\n").contains("server.proxy"))
    }

    @Test("A FIFO as password file is refused at once, without waiting for a writer")
    func passwordFIFO() async throws {
        let fifo = dir.path + "/password-fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let path = try dir.write("fifo.yaml", minimal.replacingOccurrences(of: passwordFile, with: fifo), mode: 0o644)
        let refused = await #expect(throws: ConfigurationError.self) { try await load(path) }
        #expect(refused?.problem.contains("is not a regular file") == true, "\(String(describing: refused))")
    }

    @Test(
        "Cleartext to another host or TLS verification off needs server.allow_insecure, and is then reported",
        arguments: [
            ("  url: http://gws.example.com\n", "server.url", "cleartext HTTP to http://gws.example.com"),
            ("  url: https://gws.example.com\n  tls_verify: false\n", "server.tls_verify", "TLS verification off"),
        ])
    func insecure(lines: String, key: String, reason: String) async throws {
        let base = """
            server:
              username: agent1
              password_file: \(passwordFile)
            \(lines)state:
              file: \(dir.path)/state.json
            """
        let refused = await #expect(throws: ConfigurationError.self) { try await load(try config(base)) }
        #expect(refused?.key == key)
        #expect(refused?.problem.contains("server.allow_insecure: true") == true)
        let allowed = try await load(
            try config(base.replacingOccurrences(of: "  username:", with: "  allow_insecure: true\n  username:")))
        #expect(allowed.server.insecurity == [reason])
        // The loopback is not the network: http:// to it needs nothing.
        let local = try await load(
            try config(
                base.replacingOccurrences(of: "https://gws.example.com", with: "http://127.0.0.1:8080")
                    .replacingOccurrences(of: "http://gws.example.com", with: "http://[::1]:8080")
                    .replacingOccurrences(of: "  tls_verify: false\n", with: "")))
        #expect(local.server.insecurity.isEmpty)
    }

    @Test("Missing password, empty password, and an explicit file that does not exist")
    func missingThings() async throws {
        let body = minimal.split(separator: "\n").filter { !$0.contains("password_file") }.joined(separator: "\n")
        let noPassword = try config(body)
        let error = await #expect(throws: ConfigurationError.self) { try await load(noPassword) }
        #expect(error?.key == "server.password_file")
        try dir.write("password", "\n")
        let empty = try config(minimal)
        await #expect(throws: ConfigurationError.self) { try await load(empty) }
        let absent = await #expect(throws: ConfigurationError.self) { try await load(dir.path + "/nope.yaml") }
        #expect(absent?.problem == "the configuration file does not exist")
    }

    @Test("Invalid YAML and unknown GWS_AGENTD_ variables are refused")
    func invalidInput() async throws {
        let broken = try config("server: [unclosed\n")
        let parse = await #expect(throws: ConfigurationError.self) { try await load(broken) }
        // One line, with where: ExecReload's output reaches the journal line by line.
        #expect(parse?.problem.contains("line 2, column 1: did not find expected ',' or ']'") == true)
        #expect(parse?.description.contains("\n") == false, "\(String(describing: parse))")
        let list = try config("- a\n- b\n")
        await #expect(throws: ConfigurationError.self) { try await load(list) }
        let good = try config(minimal)
        let error = await #expect(throws: ConfigurationError.self) {
            try await load(good, environment: ["GWS_AGENTD_SEVER_URL": "http://typo"])
        }
        #expect(error?.key == "GWS_AGENTD_SEVER_URL")
        let typed = await #expect(throws: ConfigurationError.self) {
            try await load(good, environment: ["GWS_AGENTD_STATE_HEARTBEAT_S": "soon"])
        }
        #expect(typed?.key.contains("GWS_AGENTD_STATE_HEARTBEAT_S") == true)
    }

    @Test("Reconnection is needed only when server settings or credentials change")
    func needsReconnect() async throws {
        let loaded = try await load(try config(minimal))
        let agent = try #require(loaded.agents.first)
        let base = loaded.configuration(for: agent)
        var fileOnly = base
        fileOnly.stateFile = "/elsewhere.json"
        fileOnly.heartbeatSeconds = 3
        #expect(!fileOnly.needsReconnect(from: base))
        var server = base
        server.server.urls = ["https://other"]
        #expect(server.needsReconnect(from: base))
        var password = base
        password.password = Password("another", source: "test")
        #expect(password.needsReconnect(from: base))
        #expect("\(base.password)".contains("s3cret") == false)
    }

    @Test("The server section maps onto the Bayeux session: hold time, network allowance, backoff bounds")
    func sessionSettings() {
        var server = ServerSettings(url: "https://gws.example.com", maxNetworkDelay: .seconds(4))
        server.requestedTimeout = .seconds(20)
        server.backoffIncrement = .milliseconds(250)
        server.backoffMaximum = .seconds(90)
        let session = server.bayeuxSession
        #expect(session.requestedTimeout == .seconds(20))
        #expect(session.maxNetworkDelay == .seconds(4))
        #expect(session.backoff.increment == .milliseconds(250))
        #expect(session.backoff.maximum == .seconds(90))
        #expect(server.backoff == session.backoff)
    }
}
