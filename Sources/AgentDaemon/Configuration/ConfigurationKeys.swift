/// The keys `gws-agentd` understands, with their types: the list unknown keys are
/// checked against, and the source of the environment variable names.
enum ConfigurationKey: String, CaseIterable {
    case serverURL = "server.url"
    case serverUsername = "server.username"
    case serverPasswordFile = "server.password_file"
    case serverCAFile = "server.ca_file"
    case serverClientCertificateFile = "server.client_certificate_file"
    case serverClientKeyFile = "server.client_key_file"
    case serverTLSVerify = "server.tls_verify"
    case serverProxy = "server.proxy"
    case serverMaxNetworkDelay = "server.max_network_delay_s"
    case serverFailoverAfter = "server.failover_after"
    case serverAllowInsecure = "server.allow_insecure"
    case serverRequestedTimeout = "server.requested_timeout_s"
    case serverBackoffIncrement = "server.backoff_increment_s"
    case serverBackoffMax = "server.backoff_max_s"
    case notificationsChannels = "notifications.channels"
    case sessionStartContactCenterSession = "session.start_contact_center_session"
    case callsPublishDetails = "calls.publish_details"
    case stateFile = "state.file"
    case stateDirectory = "state.directory"
    case stateHeartbeat = "state.heartbeat_s"
    case logFormat = "log.format"
    case logLevel = "log.level"
    case metricsTextfile = "metrics.textfile"
    case metricsPerAgentLimit = "metrics.per_agent_limit"
    case controlSocket = "control.socket"
    case controlGroup = "control.group"
    case controlOperatorGroups = "control.operator_groups"
    case agentsDirectory = "agents.directory"
    case agentsUsernames = "agents.usernames"
    case agentsLoginConcurrency = "agents.login_concurrency"
    case agentsLoginJitter = "agents.login_jitter_ms"
    case agentsThreads = "agents.threads"
    case agentsOnGiveUp = "agents.on_give_up"
    case agentsRetryAfter = "agents.retry_after_s"

    /// The environment variable that overrides this key: `GWS_AGENTD_` + the key in
    /// upper case with `_` for `.`, as swift-configuration's environment provider maps it.
    var environmentVariable: String {
        ConfigurationLoader.environmentPrefix + rawValue.uppercased().replacingDots
    }
}

/// The password variable, read only when no password file is configured.
let passwordEnvironmentVariable = ConfigurationLoader.environmentPrefix + "SERVER_PASSWORD"

extension String {
    var replacingDots: String { String(map { $0 == "." ? "_" : $0 }) }
}
