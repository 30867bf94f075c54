import Glibc

/// Finds the agent's password: `server.password_file`, else the systemd credential
/// `$CREDENTIALS_DIRECTORY/gws-password`, else `GWS_AGENTD_SERVER_PASSWORD`.
struct PasswordSource {
    /// The credential name the units load with `LoadCredential=gws-password:…`.
    static let credentialName = "gws-password"

    let environment: [String: String]

    func read(passwordFile: String?) throws(ConfigurationError) -> Password {
        let key = ConfigurationKey.serverPasswordFile.rawValue
        if let passwordFile {
            return try readFile(passwordFile, key: key, checkPermissions: true)
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/" + Self.credentialName
            if FileInfo.exists(path) {
                // systemd makes credentials readable by the service alone; no mode check.
                return try readFile(path, key: "credential \(Self.credentialName)", checkPermissions: false)
            }
        }
        if let secret = environment[passwordEnvironmentVariable] {
            guard !secret.isEmpty else { throw ConfigurationError(key: passwordEnvironmentVariable, "is empty") }
            return Password(
                secret, source: passwordEnvironmentVariable, origin: .environment(passwordEnvironmentVariable))
        }
        throw ConfigurationError(
            key: key,
            "no password: set server.password_file, load the systemd credential \(Self.credentialName), "
                + "or set \(passwordEnvironmentVariable)")
    }

    func readFile(_ path: String, key: String, checkPermissions: Bool) throws(ConfigurationError) -> Password {
        let name = "\(key) (\(path))"
        var bytes: [UInt8]
        do {
            bytes = try FileInfo.readSecret(path, limit: 4096) { info in
                checkPermissions ? Self.refusal(owner: info.st_uid, group: info.st_gid, mode: info.st_mode) : nil
            }
        } catch {
            throw ConfigurationError(key: name, "cannot be used: \(error)")
        }
        defer { bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } } }
        var secret = String(decoding: bytes, as: UTF8.self)
        // Files usually end with a newline; the password itself does not.
        while let last = secret.last, last == "\n" || last == "\r" { secret.removeLast() }
        guard !secret.isEmpty else { throw ConfigurationError(key: name, "is empty") }
        guard !secret.contains("\n") else { throw ConfigurationError(key: name, "must hold the password on one line") }
        return Password(secret, source: path, origin: .file(path: path, checkPermissions: checkPermissions))
    }

    /// Why a password file with this owner, group and mode is refused: it must belong to root
    /// or to the daemon's user, be writable by neither group nor others, readable by no
    /// others, and readable by its group only when that group is the daemon user's own
    /// (its primary group, with no other member): a group that readers or operators are in
    /// would hand them every password.
    static func refusal(owner: uid_t, group: gid_t, mode: mode_t) -> String? {
        if owner != 0 && owner != geteuid() {
            return "belongs to uid \(owner), neither root nor this process's user (uid \(geteuid()))"
        }
        let permissions = String(mode & 0o777, radix: 8)
        if mode & 0o026 != 0 {
            return "is accessible by other users (mode \(permissions)); run chmod go-w,o-r on it"
        }
        if mode & 0o040 != 0, let problem = ServiceUserGroup.refusal(group) {
            return "is readable by its group, \(problem) (mode \(permissions)); run chmod g-r on it, "
                + "or chgrp it to the service's own group"
        }
        return nil
    }

    /// Reads the password again from where `password` came from (after GWS refused it:
    /// the file may have been rotated since). An environment variable or a given
    /// password cannot change, so it comes back as it is.
    func reread(_ password: Password) throws(ConfigurationError) -> Password {
        switch password.origin {
        case .file(let path, let checkPermissions):
            let key =
                checkPermissions ? ConfigurationKey.serverPasswordFile.rawValue : "credential \(Self.credentialName)"
            return try readFile(path, key: key, checkPermissions: checkPermissions)
        case .environment, .given, .unreadable:
            return password
        }
    }
}
