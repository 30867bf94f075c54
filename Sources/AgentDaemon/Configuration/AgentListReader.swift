/// Reads the agents of `agents.directory` and `agents.usernames` with their passwords.
///
/// - `agents.directory` alone: every `USERNAME.password` file in it is an agent.
/// - `agents.usernames` alone: each password is the systemd credential `gws-password-USERNAME`.
/// - both: the listed agents, each with `agents.directory/USERNAME.password`.
///
/// A password file must satisfy the rules of `server.password_file` (owner, mode, no
/// symbolic link), except inside `$CREDENTIALS_DIRECTORY`, which systemd protects.
struct AgentListReader {
    /// The suffix of a password file in `agents.directory`.
    static let passwordSuffix = ".password"
    /// The prefix of an agent's systemd credential.
    static let credentialPrefix = "gws-password-"

    let environment: [String: String]

    func read(
        directory: String?, usernames: [String]?
    ) throws(ConfigurationError) -> [(username: String, password: Password)] {
        let names: [String]
        if let usernames {
            names = usernames
        } else if let directory {
            names = try passwordFiles(in: directory)
        } else {
            return []
        }
        guard !names.isEmpty else {
            throw ConfigurationError(
                key: usernames == nil
                    ? ConfigurationKey.agentsDirectory.rawValue : ConfigurationKey.agentsUsernames.rawValue,
                usernames == nil
                    ? "\(directory ?? "") holds no USERNAME\(Self.passwordSuffix) file" : "lists no agent")
        }
        guard names.count <= AgentEntry.maximumCount else {
            throw ConfigurationError(
                key: ConfigurationKey.agentsUsernames.rawValue,
                "\(names.count) agents; one daemon follows at most \(AgentEntry.maximumCount)")
        }
        var seen = Set<String>()
        var agents: [(username: String, password: Password)] = []
        agents.reserveCapacity(names.count)
        for name in names.sorted() {
            if let refusal = AgentEntry.refusal(username: name) {
                throw ConfigurationError(key: "agent '\(name)'", "is not a usable username: \(refusal)")
            }
            guard seen.insert(name).inserted else {
                throw ConfigurationError(key: ConfigurationKey.agentsUsernames.rawValue, "lists \(name) twice")
            }
            agents.append((name, try password(of: name, directory: directory)))
        }
        return agents
    }

    private func password(of username: String, directory: String?) throws(ConfigurationError) -> Password {
        let source = PasswordSource(environment: environment)
        let credentials = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        if let directory {
            let protected = credentials.map { directory == $0 || directory.hasPrefix($0 + "/") } ?? false
            return try source.readFile(
                directory + "/" + username + Self.passwordSuffix, key: ConfigurationKey.agentsDirectory.rawValue,
                checkPermissions: !protected)
        }
        let credential = Self.credentialPrefix + username
        guard let credentials else {
            throw ConfigurationError(
                key: "agent \(username)",
                "no password: load the systemd credential \(credential) (LoadCredential=) or set agents.directory")
        }
        return try source.readFile(
            credentials + "/" + credential, key: "credential \(credential)", checkPermissions: false)
    }

    /// The usernames of the `*.password` files in `directory`.
    private func passwordFiles(in directory: String) throws(ConfigurationError) -> [String] {
        guard
            let names = FileInfo.names(
                in: directory, endingIn: Self.passwordSuffix, limit: AgentEntry.maximumCount)
        else {
            throw ConfigurationError(
                key: ConfigurationKey.agentsDirectory.rawValue, "cannot list \(directory): \(FileInfo.errnoText())")
        }
        return names
    }
}
