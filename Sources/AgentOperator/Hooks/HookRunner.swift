import AgentState
import Foundation

/// Runs the executables of a hooks directory for one change, in name order, each with the
/// change in its environment and the state document on stdin, each bounded by a timeout
/// (SIGTERM, then SIGKILL a second later). A hook that fails or overruns is reported
/// through `log`; nothing it does stops the next hook or the next change.
public struct HookRunner: Sendable {
    public var directory: String
    public var timeout: Duration
    public var log: @Sendable (String) -> Void

    public init(directory: String, timeout: Duration, log: @escaping @Sendable (String) -> Void) {
        self.directory = directory
        self.timeout = timeout
        self.log = log
    }

    /// What a hook inherits from the dispatcher's environment: a `PATH`, the unit's state
    /// directory (`STATE_DIRECTORY`, where a hook may keep files), the locale and time zone.
    /// Nothing else: the dispatcher's environment is no business of a hook's.
    static var passedOn: [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for name in ["STATE_DIRECTORY", "LANG", "TZ"] { environment[name] = inherited[name] }
        return environment
    }

    /// The hooks: regular, executable files of the directory not starting with `.`, by name.
    public var hooks: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            guard !name.hasPrefix(".") else { return false }
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: path)
        }.sorted()
    }

    /// Runs every hook for `change`, one after the other, on the calling thread.
    public func run(_ change: HookChange) {
        for name in hooks { run(name, change) }
    }

    private func run(_ name: String, _ change: HookChange) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: directory + "/" + name)
        process.environment = Self.passedOn.merging(change.environment) { _, new in new }
        let input = Pipe()
        process.standardInput = input
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        let agent = change.current.agent.username
        do { try process.run() } catch {
            log("hook \(name) for \(agent) could not start: \(error)")
            return
        }
        // A hook that does not read its stdin must not block the dispatcher: the document
        // is small (well under a pipe's buffer), and a closed reader is ignored.
        try? input.fileHandleForWriting.write(contentsOf: change.bytes)
        try? input.fileHandleForWriting.close()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if ended.wait(timeout: .now() + seconds) == .timedOut {
            kill(process.processIdentifier, SIGTERM)
            if ended.wait(timeout: .now() + 1) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                ended.wait()
            }
            log("hook \(name) for \(agent) ran past its timeout of \(seconds) s and was killed")
            return
        }
        if process.terminationReason == .uncaughtSignal {
            log("hook \(name) for \(agent) was killed by signal \(process.terminationStatus)")
        } else if process.terminationStatus != 0 {
            log("hook \(name) for \(agent) exited with status \(process.terminationStatus)")
        }
    }
}
