import Configuration
import Locking
import Logging
import SystemPackage

/// Reads the daemon's configuration: a YAML file (through swift-configuration), with
/// every key overridable by a `GWS_AGENTD_<KEY>` environment variable.
///
/// The file is `--config FILE`, else `$CONFIGURATION_DIRECTORY/config.yaml`, else
/// `/etc/gws-agentd/config.yaml`. Unknown keys, wrong types, missing required keys and a
/// password file that others can read are all ``ConfigurationError``s naming the key.
public struct ConfigurationLoader: Sendable {
    /// The prefix of every environment override.
    public static let environmentPrefix = "GWS_AGENTD_"
    /// The file used when neither `--config` nor `$CONFIGURATION_DIRECTORY` is given.
    public static let defaultPath = "/etc/gws-agentd/config.yaml"

    /// The process environment (injected by tests).
    public var environment: [String: String]

    /// Accept a configuration whose password this process cannot read (its origin is then
    /// ``Password/Origin/unreadable``): for `check-config --online` through the daemon.
    public var passwordOptional = false

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The file to read: `explicit`, else `$CONFIGURATION_DIRECTORY/config.yaml`, else the default.
    public func path(explicit: String?) -> String {
        if let explicit { return explicit }
        if let directory = firstPath(environment["CONFIGURATION_DIRECTORY"]) { return directory + "/config.yaml" }
        return Self.defaultPath
    }

    /// Loads and validates the configuration.
    /// - Parameter explicitPath: the `--config` argument; a missing file is an error only
    ///   when it was given explicitly (otherwise the environment alone may configure).
    public func load(explicitPath: String?) async throws(ConfigurationError) -> DaemonConfiguration {
        let path = path(explicit: explicitPath)
        let fileExists = FileInfo.exists(path)
        if explicitPath != nil && !fileExists {
            throw ConfigurationError(key: path, "the configuration file does not exist")
        }
        if fileExists {
            try checkReadable(path)
            try Self.rejectUnknownKeys(inYAMLAt: path)
        }
        try rejectUnknownVariables()
        let file: FileProvider<YAMLSnapshot>
        do {
            file = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path), allowMissing: !fileExists)
        } catch {
            throw ConfigurationError(key: path, "cannot be read as YAML: \(error)")
        }
        let environment = self.environment
        let passwordOptional = self.passwordOptional
        // Building reads and checks every agent's password file: about 0.1 s for 10,000
        // agents, off the executor thread so that a reload does not stall every agent.
        return try await OffExecutor.run { () throws(ConfigurationError) -> DaemonConfiguration in
            let problems = ProblemCollector()
            let variables = EnvironmentVariablesProvider(
                environmentVariables: environment.filter { $0.key.hasPrefix(Self.environmentPrefix) },
                secretsSpecifier: .specific([passwordEnvironmentVariable]))
            let reader = ConfigReader(
                providers: [variables.prefixKeys(with: "gws_agentd"), file], accessReporter: problems)
            let values = ConfigurationValues(
                reader: reader, problems: problems, environment: environment, file: path,
                passwordOptional: passwordOptional)
            return try values.build()
        }
    }

    private func checkReadable(_ path: String) throws(ConfigurationError) {
        do {
            _ = try FileInfo.read(path, limit: 1 << 20)
        } catch {
            throw ConfigurationError(key: path, "cannot be read: \(error)")
        }
    }

    /// Refuses `GWS_AGENTD_*` variables that match no key, so that a typo is not ignored.
    private func rejectUnknownVariables() throws(ConfigurationError) {
        let known = Set(ConfigurationKey.allCases.map(\.environmentVariable) + [passwordEnvironmentVariable])
        if let unknown = environment.keys.filter({ $0.hasPrefix(Self.environmentPrefix) && !known.contains($0) })
            .sorted().first
        {
            throw ConfigurationError(key: unknown, "no such setting (see docs/configuration.md)")
        }
    }

    /// The first path of a colon-separated systemd directory variable.
    func firstPath(_ value: String?) -> String? {
        guard let first = value?.split(separator: ":").first, !first.isEmpty else { return nil }
        return String(first)
    }
}

/// Records what swift-configuration could not convert, so that a wrong type becomes an
/// error naming its key instead of silently falling back to the default.
final class ProblemCollector: AccessReporter, Sendable {
    private let recorded = Locked<[String: String]>([:])

    func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        let failed =
            event.conversionError != nil
            || event.providerResults.contains { if case .failure = $0.result { true } else { false } }
        guard failed else { return }
        recorded.withLock { $0[key] = "\(event.metadata.valueType)" }
    }

    /// Keys whose value could not be read as the requested type, with that type.
    var problems: [String: String] { recorded.withLock { $0 } }

    /// Forgets what was recorded for `key` (read as two types, one of which fits).
    func forget(_ key: String) { _ = recorded.withLock { $0.removeValue(forKey: key) } }
}
