/// Where a daemon's runtime files (the state file, the control socket) are, as the shipped
/// units place them: `/run/gws-agentd` for `gws-agentd.service`, `/run/gws-agentd@NAME`
/// for the instance NAME of `gws-agentd@.service` (separate directories, so that stopping
/// one unit never removes the other's files).
public enum RuntimeFiles {
    /// The directory of `instance`, else `$RUNTIME_DIRECTORY` (a command run by the unit
    /// itself, such as its `ExecReload=`), else `/run/gws-agentd`.
    public static func directory(instance: String?, environment: [String: String]) -> String {
        if let instance { return "/run/gws-agentd@\(instance)" }
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, !runtime.isEmpty {
            return String(runtime)
        }
        return "/run/gws-agentd"
    }

    /// The control socket: `explicit`, else `control.sock` beside `stateFile`, else in
    /// ``directory(instance:environment:)``.
    public static func controlSocket(
        explicit: String?, instance: String?, stateFile: String? = nil, environment: [String: String]
    ) -> String {
        if let explicit { return explicit }
        if let stateFile, let slash = stateFile.lastIndex(of: "/") {
            return (slash == stateFile.startIndex ? "" : String(stateFile[..<slash])) + "/control.sock"
        }
        if stateFile != nil { return "control.sock" }
        return directory(instance: instance, environment: environment) + "/control.sock"
    }

    /// Whether `name` can be an instance name (a path component, not empty).
    public static func isInstanceName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }
}
