import Yams

extension ConfigurationLoader {
    /// Refuses keys the daemon does not know, so that a misspelt key is not silently
    /// ignored. swift-configuration cannot list a file's keys, so the file is composed
    /// with Yams (the parser swift-configuration itself uses) and walked.
    static func rejectUnknownKeys(inYAMLAt path: String) throws(ConfigurationError) {
        let text: String
        do {
            text = String(decoding: try FileInfo.read(path, limit: 1 << 20), as: UTF8.self)
        } catch {
            throw ConfigurationError(key: path, "cannot be read: \(error)")
        }
        if let refusal = YAMLGuard.firstRefusal(in: text) {
            throw ConfigurationError(key: path, "line \(refusal.line): \(refusal.problem)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError(key: path, "is not valid YAML: \(Self.oneLine(error))")
        }
        guard let root else { return }
        guard case .mapping(let mapping) = root else {
            throw ConfigurationError(key: path, "must be a mapping of sections (server:, state:, …)")
        }
        let known = Set(ConfigurationKey.allCases.map(\.rawValue))
        for key in leafKeys(of: mapping, prefix: "") where !known.contains(key) {
            if key == "server.password" {
                throw ConfigurationError(
                    key: key, "passwords are not read from the configuration file; use server.password_file")
            }
            throw ConfigurationError(key: key, "unknown key in \(path) (see docs/configuration.md)")
        }
    }

    /// A parser error as one line (`line 2, column 1: did not find expected ',' or ']'`):
    /// Yams' own text spans lines, quoting the source with a caret under the spot, which a
    /// journal reading ExecReload's output line by line would split into several entries.
    static func oneLine(_ error: any Error) -> String {
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) from line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        default:
            return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    /// Every dotted key of the mapping that holds a value rather than a section.
    private static func leafKeys(of mapping: Node.Mapping, prefix: String) -> [String] {
        var keys: [String] = []
        for (keyNode, value) in mapping {
            let name = prefix + (keyNode.string ?? "?")
            if case .mapping(let nested) = value, prefix.isEmpty {
                keys += leafKeys(of: nested, prefix: name + ".")
            } else {
                keys.append(name)
            }
        }
        return keys
    }
}
