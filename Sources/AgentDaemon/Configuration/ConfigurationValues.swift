import Configuration
import Logging
import Text

/// Reads each key through a `ConfigReader` and validates it.
struct ConfigurationValues {
    let reader: ConfigReader
    let problems: ProblemCollector
    let environment: [String: String]
    /// The configuration file, for messages.
    let file: String
    /// See ``ConfigurationLoader/passwordOptional``.
    var passwordOptional = false

    func build() throws(ConfigurationError) -> DaemonConfiguration {
        let urls = try urlValues()
        let agentsDirectory = string(.agentsDirectory)
        let agentsUsernames = reader.stringArray(forKey: key(.agentsUsernames))
        let severalAgents = agentsDirectory != nil || agentsUsernames != nil
        let username = string(.serverUsername)
        if severalAgents {
            for single in [ConfigurationKey.serverUsername, .serverPasswordFile, .stateFile] where string(single) != nil
            {
                throw invalid(single, "applies to a daemon of one agent; with agents.* leave it out")
            }
        } else {
            guard username != nil else { throw missing(.serverUsername) }
            if string(.stateDirectory) != nil {
                throw invalid(.stateDirectory, "needs agents.directory or agents.usernames (one agent uses state.file)")
            }
        }
        let loginConcurrency = reader.int(forKey: key(.agentsLoginConcurrency), default: 8)
        let loginJitter = reader.int(forKey: key(.agentsLoginJitter), default: 1000)
        let passwordFile = string(.serverPasswordFile)
        let caFile = string(.serverCAFile)
        let tlsVerify = reader.bool(forKey: key(.serverTLSVerify), default: true)
        let proxy = string(.serverProxy)
        let delay = reader.double(forKey: key(.serverMaxNetworkDelay), default: 10)
        let failoverAfter = reader.int(forKey: key(.serverFailoverAfter), default: 3)
        let allowInsecure = reader.bool(forKey: key(.serverAllowInsecure), default: false)
        let channels = reader.stringArray(
            forKey: key(.notificationsChannels), default: DaemonConfiguration.defaultChannels)
        let startSession = reader.bool(forKey: key(.sessionStartContactCenterSession), default: false)
        let runtimeDirectory = environment["RUNTIME_DIRECTORY"].flatMap(firstPath)
        var stateDirectory = string(.stateDirectory) ?? runtimeDirectory
        while let directory = stateDirectory, directory.count > 1, directory.hasSuffix("/") {
            stateDirectory = String(directory.dropLast())
        }
        let stateFile =
            severalAgents
            ? stateDirectory.map { $0 + "/" } : string(.stateFile) ?? runtimeDirectory.map { $0 + "/state.json" }
        let heartbeat = reader.int(forKey: key(.stateHeartbeat), default: 10)
        let format = string(.logFormat) ?? "auto"
        let level = string(.logLevel) ?? "info"
        let metrics = string(.metricsTextfile)
        let controlSocket = string(.controlSocket)
        let controlGroup = string(.controlGroup)
        try reportTypeProblems()

        guard delay > 0, delay <= 600 else {
            throw invalid(.serverMaxNetworkDelay, "must be more than 0 and at most 600 seconds, got \(delay)")
        }
        if !allowInsecure {
            if let url = urls.first(where: DaemonConfiguration.Server.isCleartextOffHost) {
                throw invalid(
                    .serverURL,
                    "'\(url)' would send the password in cleartext: use https://, or set server.allow_insecure: true")
            }
            guard tlsVerify else {
                throw invalid(
                    .serverTLSVerify,
                    "false lets anyone on the network path pose as GWS and read the password: "
                        + "set server.ca_file instead, or server.allow_insecure: true to accept that")
            }
        }
        guard (1...100).contains(failoverAfter) else {
            throw invalid(.serverFailoverAfter, "must be between 1 and 100 failures, got \(failoverAfter)")
        }
        guard !channels.isEmpty else { throw invalid(.notificationsChannels, "must list at least one channel") }
        for channel in channels where !channel.hasPrefix("/") || channel.hasPrefix("/meta/") || channel.contains(" ") {
            throw invalid(.notificationsChannels, "'\(channel)' is not a channel name such as /v2/me/devices")
        }
        guard let stateFile else {
            throw invalid(
                severalAgents ? .stateDirectory : .stateFile,
                "is required when $RUNTIME_DIRECTORY is not set (systemd's RuntimeDirectory=)")
        }
        if severalAgents {
            guard stateFile.hasPrefix("/"), !stateFile.hasPrefix("//") else {
                throw invalid(.stateDirectory, "must be an absolute directory path, got '\(stateFile.dropLast())'")
            }
        } else {
            guard stateFile.hasPrefix("/"), !stateFile.hasSuffix("/") else {
                throw invalid(.stateFile, "must be an absolute file path, got '\(stateFile)'")
            }
        }
        guard (1...256).contains(loginConcurrency) else {
            throw invalid(.agentsLoginConcurrency, "must be between 1 and 256 logins, got \(loginConcurrency)")
        }
        guard (0...60_000).contains(loginJitter) else {
            throw invalid(.agentsLoginJitter, "must be between 0 and 60000 milliseconds, got \(loginJitter)")
        }
        guard (1...3600).contains(heartbeat) else {
            throw invalid(.stateHeartbeat, "must be between 1 and 3600 seconds, got \(heartbeat)")
        }
        guard let logFormat = DaemonConfiguration.LogFormat(rawValue: format) else {
            throw invalid(.logFormat, "must be one of auto, journal, json, text; got '\(format)'")
        }
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw invalid(
                .logLevel, "must be one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
        }
        if let metrics, !metrics.hasPrefix("/") || !metrics.hasSuffix(".prom") {
            throw invalid(.metricsTextfile, "must be an absolute path ending in .prom, got '\(metrics)'")
        }
        if let controlSocket,
            !controlSocket.hasPrefix("/") || controlSocket.hasSuffix("/") || controlSocket.utf8.count > 100
        {
            throw invalid(.controlSocket, "must be an absolute path of at most 100 bytes, got '\(controlSocket)'")
        }
        if let controlGroup, controlGroup.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            throw invalid(.controlGroup, "must be a group name, got '\(controlGroup)'")
        }
        if let caFile, !FileInfo.exists(caFile) {
            throw invalid(.serverCAFile, "'\(caFile)' does not exist")
        }
        if let proxy, !(proxy.contains("://")) {
            throw invalid(.serverProxy, "must be a URL such as http://proxy:3128, got '\(proxy)'")
        }
        var roster: AgentRosterConfiguration?
        let password: Password
        if severalAgents {
            var agents: [AgentRosterConfiguration.Agent] = []
            do {
                agents = try AgentListReader(environment: environment).read(
                    directory: agentsDirectory, usernames: agentsUsernames)
            } catch  where passwordOptional {
                // An operator command through the daemon needs the agents' names, not their passwords.
                agents = (agentsUsernames ?? []).map {
                    .init(username: $0, password: Password("", source: "unreadable", origin: .unreadable))
                }
            }
            password = Password("", source: "agents.*", origin: .given)
            roster = AgentRosterConfiguration(
                agents: agents, stateDirectory: String(stateFile.dropLast()), loginConcurrency: loginConcurrency,
                loginJitter: .milliseconds(loginJitter))
        } else {
            do {
                password = try PasswordSource(environment: environment).read(passwordFile: passwordFile)
            } catch  where passwordOptional {
                password = Password("", source: "nowhere this user can read (\(error))", origin: .unreadable)
            }
        }
        return DaemonConfiguration(
            server: .init(
                urls: urls, username: username ?? "", password: password, caFile: caFile, tlsVerify: tlsVerify,
                proxy: proxy, maxNetworkDelay: .milliseconds(Int64(delay * 1000)), failoverAfter: failoverAfter,
                allowInsecure: allowInsecure),
            channels: channels, startContactCenterSession: startSession, stateFile: stateFile,
            heartbeatSeconds: heartbeat, logFormat: logFormat, logLevel: logLevel, metricsTextfile: metrics,
            controlSocket: controlSocket, controlGroup: controlGroup, roster: roster)
    }

    /// `server.url`: one URL, or a list of the node URLs of one GWS cluster (in YAML a
    /// sequence; in `GWS_AGENTD_SERVER_URL` a comma-separated list).
    private func urlValues() throws(ConfigurationError) -> [String] {
        let single = string(.serverURL)
        let list = reader.stringArray(forKey: key(.serverURL))
        // One of the two reads does not fit the value's shape; that is not a problem.
        problems.forget(ConfigurationKey.serverURL.rawValue)
        let values: [String]
        if let list, list.count > 1 {
            values = list
        } else if let single {
            values = [single]
        } else if let list {
            values = list
        } else {
            throw missing(.serverURL)
        }
        guard !values.isEmpty else { throw missing(.serverURL) }
        guard values.count <= 16 else {
            throw invalid(.serverURL, "lists \(values.count) URLs; at most 16 are allowed")
        }
        var urls: [String] = []
        for value in values {
            let url = try urlValue(value)
            guard !urls.contains(url) else { throw invalid(.serverURL, "lists \(url) twice") }
            urls.append(url)
        }
        return urls
    }

    private func urlValue(_ value: String) throws(ConfigurationError) -> String {
        var url = value.trimmingWhitespace
        guard !url.isEmpty else { throw missing(.serverURL) }
        while url.hasSuffix("/") { url.removeLast() }
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), url.split(separator: "/").count >= 2 else {
            throw invalid(.serverURL, "must be an http:// or https:// URL, got '\(url)'")
        }
        guard !url.contains("?"), !url.contains("#"), !url.contains(" "), !url.contains(",") else {
            throw invalid(.serverURL, "must not contain a query, a fragment, commas or spaces")
        }
        if lower.hasSuffix("/api/v2") {
            throw invalid(.serverURL, "is the server's base URL; drop the /api/v2 suffix")
        }
        return url
    }

    private func key(_ key: ConfigurationKey) -> ConfigKey { ConfigKey(key.rawValue) }

    private func string(_ key: ConfigurationKey) -> String? {
        guard let value = reader.string(forKey: self.key(key)), !value.isEmpty else { return nil }
        return value
    }

    /// Turns what the access reporter saw into an error naming the key and its source.
    private func reportTypeProblems() throws(ConfigurationError) {
        guard let (name, type) = problems.problems.sorted(by: { $0.key < $1.key }).first,
            let key = ConfigurationKey(rawValue: name)
        else { return }
        let expected: String
        switch type {
        case "bool": expected = "true or false"
        case "int": expected = "a whole number"
        case "double": expected = "a number"
        case "stringArray": expected = "a list of strings"
        default: expected = "a \(type)"
        }
        throw invalid(key, "must be \(expected)")
    }

    private func missing(_ key: ConfigurationKey) -> ConfigurationError {
        ConfigurationError(key: key.rawValue, "is required (in \(file), or as \(key.environmentVariable))")
    }

    private func invalid(_ key: ConfigurationKey, _ problem: String) -> ConfigurationError {
        let source = environment[key.environmentVariable] != nil ? " (from \(key.environmentVariable))" : ""
        return ConfigurationError(key: key.rawValue + source, problem)
    }

    private func firstPath(_ value: String) -> String? {
        value.split(separator: ":").first.map(String.init)
    }
}
