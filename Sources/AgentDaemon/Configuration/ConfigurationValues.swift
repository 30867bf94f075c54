import Configuration
import Logging
import Text

/// Reads each key through a `ConfigReader` and validates it, one section at a time.
struct ConfigurationValues {
    let reader: ConfigReader
    let problems: ProblemCollector
    let environment: [String: String]
    /// The configuration file, for messages.
    let file: String
    /// See ``ConfigurationLoader/passwordOptional``.
    var passwordOptional = false

    /// How the configuration lists its agents: one by `server.username`, or several by `agents.*`.
    private enum Listing {
        case one(username: String)
        case several(directory: String?, usernames: [String]?)
    }

    func build() throws(ConfigurationError) -> DaemonConfiguration {
        let server = try serverSettings()
        let listing = try agentListing()
        let stateDirectory = try stateDirectory(for: listing)
        let agents = try agents(listing, stateDirectory: stateDirectory)
        let channels = reader.stringArray(
            forKey: key(.notificationsChannels), default: DaemonConfiguration.defaultChannels)
        let startSession = reader.bool(forKey: key(.sessionStartContactCenterSession), default: false)
        let callDetails = reader.bool(forKey: key(.callsPublishDetails), default: false)
        let heartbeat = reader.int(forKey: key(.stateHeartbeat), default: 10)
        let (logFormat, logLevel) = try logging()
        let metrics = string(.metricsTextfile)
        let perAgentLimit = reader.int(
            forKey: key(.metricsPerAgentLimit), default: DaemonConfiguration.defaultMetricsPerAgentLimit)
        let (controlSocket, controlGroup) = try control()
        let operatorGroups: OperatorGroups
        switch OperatorGroups.parse(reader.stringArray(forKey: key(.controlOperatorGroups))) {
        case .success(let parsed): operatorGroups = parsed
        case .failure(let problem): throw invalid(.controlOperatorGroups, problem.description)
        }
        let logins = try loginPacing(for: listing)
        let threads = reader.int(forKey: key(.agentsThreads))
        let onGiveUp = try giveUpPolicy(for: listing)
        try reportTypeProblems()

        guard !channels.isEmpty else { throw invalid(.notificationsChannels, "must list at least one channel") }
        for channel in channels where !channel.hasPrefix("/") || channel.hasPrefix("/meta/") || channel.contains(" ") {
            throw invalid(.notificationsChannels, "'\(channel)' is not a channel name such as /v2/me/devices")
        }
        guard (1...3600).contains(heartbeat) else {
            throw invalid(.stateHeartbeat, "must be between 1 and 3600 seconds, got \(heartbeat)")
        }
        if let metrics, !metrics.hasPrefix("/") || !metrics.hasSuffix(".prom") {
            throw invalid(.metricsTextfile, "must be an absolute path ending in .prom, got '\(metrics)'")
        }
        guard (0...100_000).contains(perAgentLimit) else {
            throw invalid(.metricsPerAgentLimit, "must be between 0 and 100000 agents, got \(perAgentLimit)")
        }
        if let threads, !(1...DaemonConfiguration.maxThreads).contains(threads) {
            throw invalid(
                .agentsThreads, "must be between 1 and \(DaemonConfiguration.maxThreads) threads, got \(threads)")
        }
        return DaemonConfiguration(
            server: server, agents: agents, stateDirectory: stateDirectory, channels: channels,
            startContactCenterSession: startSession, heartbeatSeconds: heartbeat, logFormat: logFormat,
            logLevel: logLevel, metricsTextfile: metrics, metricsPerAgentLimit: perAgentLimit,
            controlSocket: controlSocket, controlGroup: controlGroup,
            operatorGroups: operatorGroups, logins: logins, threads: threads, onGiveUp: onGiveUp,
            publishCallDetails: callDetails)
    }

    // MARK: Sections

    /// `server.username`, or `agents.directory` / `agents.usernames`; the keys that belong
    /// to the other form are refused, each naming itself.
    private func agentListing() throws(ConfigurationError) -> Listing {
        let directory = string(.agentsDirectory)
        let usernames = reader.stringArray(forKey: key(.agentsUsernames))
        guard directory != nil || usernames != nil else {
            guard let username = string(.serverUsername) else { throw missing(.serverUsername) }
            if string(.stateDirectory) != nil {
                throw invalid(.stateDirectory, "needs agents.directory or agents.usernames (one agent uses state.file)")
            }
            return .one(username: username)
        }
        for single in [ConfigurationKey.serverUsername, .serverPasswordFile, .stateFile] where string(single) != nil {
            throw invalid(single, "applies to a daemon of one agent; with agents.* leave it out")
        }
        return .several(directory: directory, usernames: usernames)
    }

    /// `server.*` but the credentials.
    private func serverSettings() throws(ConfigurationError) -> ServerSettings {
        let urls = try urlValues()
        let caFile = string(.serverCAFile)
        let tlsVerify = reader.bool(forKey: key(.serverTLSVerify), default: true)
        let proxy = string(.serverProxy)
        let delay = reader.double(forKey: key(.serverMaxNetworkDelay), default: 10)
        let failoverAfter = reader.int(forKey: key(.serverFailoverAfter), default: 3)
        let allowInsecure = reader.bool(forKey: key(.serverAllowInsecure), default: false)
        let requestedTimeout = reader.double(forKey: key(.serverRequestedTimeout))
        let backoffIncrement = reader.double(forKey: key(.serverBackoffIncrement), default: 1)
        let backoffMax = reader.double(forKey: key(.serverBackoffMax), default: 30)
        try reportTypeProblems()
        guard delay > 0, delay <= 600 else {
            throw invalid(.serverMaxNetworkDelay, "must be more than 0 and at most 600 seconds, got \(delay)")
        }
        if let requestedTimeout, !(1...3600).contains(requestedTimeout) {
            throw invalid(.serverRequestedTimeout, "must be between 1 and 3600 seconds, got \(requestedTimeout)")
        }
        guard (0.1...60).contains(backoffIncrement) else {
            throw invalid(.serverBackoffIncrement, "must be between 0.1 and 60 seconds, got \(backoffIncrement)")
        }
        guard (1...3600).contains(backoffMax), backoffMax >= backoffIncrement else {
            throw invalid(
                .serverBackoffMax,
                "must be between 1 and 3600 seconds and at least server.backoff_increment_s, got \(backoffMax)")
        }
        var settings = ServerSettings(
            urls: urls, caFile: caFile, tlsVerify: tlsVerify, proxy: proxy, failoverAfter: failoverAfter,
            allowInsecure: allowInsecure, environmentProxy: EnvironmentProxy(environment: environment))
        if !allowInsecure {
            if let cleartext = settings.insecurity.first(where: { $0.hasPrefix("cleartext") }) {
                throw invalid(
                    proxy != nil && cleartext.contains("through the proxy") ? .serverProxy : .serverURL,
                    "\(cleartext) would send the password in cleartext: use https://, "
                        + "or set server.allow_insecure: true")
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
        if let caFile, !FileInfo.exists(caFile) {
            throw invalid(.serverCAFile, "'\(caFile)' does not exist")
        }
        let clientCertificate = string(.serverClientCertificateFile)
        let clientKey = string(.serverClientKeyFile)
        switch (clientCertificate, clientKey) {
        case (nil, nil): break
        case (_?, nil): throw invalid(.serverClientKeyFile, "is needed with server.client_certificate_file")
        case (nil, _?): throw invalid(.serverClientCertificateFile, "is needed with server.client_key_file")
        case (let certificate?, let key?):
            for (name, path) in [
                (ConfigurationKey.serverClientCertificateFile, certificate), (.serverClientKeyFile, key),
            ]
            where !FileInfo.exists(path) {
                throw invalid(name, "'\(path)' does not exist")
            }
            if !urls.allSatisfy({ $0.lowercased().hasPrefix("https://") }) {
                throw invalid(
                    .serverClientCertificateFile, "needs https:// in server.url (a client certificate is TLS)")
            }
        }
        settings.clientCertificateFile = clientCertificate
        settings.clientKeyFile = clientKey
        if let proxy, !(proxy.contains("://")) {
            throw invalid(.serverProxy, "must be a URL such as http://proxy:3128, got '\(proxy)'")
        }
        if let proxy, Self.hasUserInfo(proxy) {
            throw invalid(
                .serverProxy, "must not hold a user name or password (user:password@): they would reach the logs")
        }
        settings.maxNetworkDelay = .milliseconds(Int64(delay * 1000))
        settings.requestedTimeout = requestedTimeout.map { .milliseconds(Int64($0 * 1000)) }
        settings.backoffIncrement = .milliseconds(Int64(backoffIncrement * 1000))
        settings.backoffMaximum = .milliseconds(Int64(backoffMax * 1000))
        return settings
    }

    /// Where the state files go: the directory of `state.file` for one agent, else
    /// `state.directory`; both default to `$RUNTIME_DIRECTORY`.
    private func stateDirectory(for listing: Listing) throws(ConfigurationError) -> String {
        let runtimeDirectory = environment["RUNTIME_DIRECTORY"].flatMap(firstPath)
        switch listing {
        case .one:
            guard let file = stateFile(runtimeDirectory: runtimeDirectory) else {
                throw invalid(
                    .stateFile, "is required when $RUNTIME_DIRECTORY is not set (systemd's RuntimeDirectory=)")
            }
            guard file.hasPrefix("/"), !file.hasSuffix("/"), let slash = file.lastIndex(of: "/") else {
                throw invalid(.stateFile, "must be an absolute file path, got '\(file)'")
            }
            return slash == file.startIndex ? "/" : String(file[..<slash])
        case .several:
            guard var directory = string(.stateDirectory) ?? runtimeDirectory else {
                throw invalid(
                    .stateDirectory, "is required when $RUNTIME_DIRECTORY is not set (systemd's RuntimeDirectory=)")
            }
            while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
            guard directory.hasPrefix("/"), !directory.hasPrefix("//") else {
                throw invalid(.stateDirectory, "must be an absolute directory path, got '\(directory)'")
            }
            return directory
        }
    }

    /// `state.file`, else `$RUNTIME_DIRECTORY/state.json`.
    private func stateFile(runtimeDirectory: String?) -> String? {
        string(.stateFile) ?? runtimeDirectory.map { $0 + "/state.json" }
    }

    /// Each agent with its password and state file, sorted by username.
    private func agents(_ listing: Listing, stateDirectory: String) throws(ConfigurationError) -> [AgentEntry] {
        switch listing {
        case .one(let username):
            let password: Password
            do {
                password = try PasswordSource(environment: environment).read(
                    passwordFile: string(.serverPasswordFile))
            } catch  where passwordOptional {
                password = .unreadable(because: "nowhere this user can read (\(error))")
            }
            let runtimeDirectory = environment["RUNTIME_DIRECTORY"].flatMap(firstPath)
            let file = stateFile(runtimeDirectory: runtimeDirectory) ?? stateDirectory + "/state.json"
            return [AgentEntry(username: username, password: password, stateFile: file)]
        case .several(let directory, let usernames):
            let reader = AgentListReader(environment: environment)
            let found: [(username: String, password: Password)]
            do {
                found = try reader.read(directory: directory, usernames: usernames)
            } catch  where passwordOptional {
                // An operator command through the daemon needs the agents' names, not their passwords.
                found = (usernames ?? []).sorted().map { ($0, .unreadable(because: "\(error)")) }
            }
            let prefix = stateDirectory == "/" ? "/" : stateDirectory + "/"
            return found.map {
                AgentEntry(username: $0.username, password: $0.password, stateFile: prefix + $0.username + ".json")
            }
        }
    }

    /// `log.format` and `log.level`.
    private func logging() throws(ConfigurationError) -> (DaemonConfiguration.LogFormat, Logger.Level) {
        let format = string(.logFormat) ?? "auto"
        let level = string(.logLevel) ?? "info"
        guard let logFormat = DaemonConfiguration.LogFormat(rawValue: format) else {
            throw invalid(.logFormat, "must be one of auto, journal, json, text; got '\(format)'")
        }
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw invalid(
                .logLevel, "must be one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
        }
        return (logFormat, logLevel)
    }

    /// `control.socket` and `control.group`.
    private func control() throws(ConfigurationError) -> (String?, String?) {
        let socket = string(.controlSocket)
        let group = string(.controlGroup)
        if let socket, !socket.hasPrefix("/") || socket.hasSuffix("/") || socket.utf8.count > 100 {
            throw invalid(.controlSocket, "must be an absolute path of at most 100 bytes, got '\(socket)'")
        }
        if let group, group.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            throw invalid(.controlGroup, "must be a group name, got '\(group)'")
        }
        return (socket, group)
    }

    /// `agents.login_concurrency` and `agents.login_jitter_ms` (no jitter by default for
    /// one agent: nothing to spread).
    private func loginPacing(for listing: Listing) throws(ConfigurationError) -> LoginPacing {
        let defaultJitter: Int
        if case .one = listing { defaultJitter = 0 } else { defaultJitter = 1000 }
        let concurrency = reader.int(forKey: key(.agentsLoginConcurrency), default: 8)
        let jitter = reader.int(forKey: key(.agentsLoginJitter), default: defaultJitter)
        try reportTypeProblems()
        guard (1...256).contains(concurrency) else {
            throw invalid(.agentsLoginConcurrency, "must be between 1 and 256 logins, got \(concurrency)")
        }
        guard (0...60_000).contains(jitter) else {
            throw invalid(.agentsLoginJitter, "must be between 0 and 60000 milliseconds, got \(jitter)")
        }
        return LoginPacing(concurrency: concurrency, jitter: .milliseconds(jitter))
    }

    /// `agents.on_give_up` (`exit` for one agent, `retry` for several, by default) and
    /// `agents.retry_after_s`.
    private func giveUpPolicy(for listing: Listing) throws(ConfigurationError) -> GiveUpPolicy {
        let defaultPolicy: String
        if case .one = listing { defaultPolicy = "exit" } else { defaultPolicy = "retry" }
        let policy = string(.agentsOnGiveUp) ?? defaultPolicy
        let retryAfter = reader.int(forKey: key(.agentsRetryAfter), default: 300)
        try reportTypeProblems()
        guard (1...86_400).contains(retryAfter) else {
            throw invalid(.agentsRetryAfter, "must be between 1 and 86400 seconds, got \(retryAfter)")
        }
        switch policy {
        case "exit": return .exitDaemon
        case "retry": return .retryAgent(after: .seconds(retryAfter))
        default: throw invalid(.agentsOnGiveUp, "must be exit or retry, got '\(policy)'")
        }
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
        if Self.hasUserInfo(url) {
            throw invalid(
                .serverURL,
                "must not hold a user name or password (user:password@); set server.username and the password file")
        }
        return url
    }

    /// Whether `url` has user information (`scheme://user[:password]@host`).
    static func hasUserInfo(_ url: String) -> Bool {
        guard let scheme = url.firstRange(of: "://") else { return false }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains("@")
    }

    // MARK: Reading

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
