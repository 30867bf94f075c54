import AgentState
import FileWatch
import Foundation
import Glibc
import Locking

/// `gws-agentd hooks`: follows the state files of a directory (each agent's, as the daemon
/// renames them into place) and runs the hooks once per change of each agent, in order per
/// agent, on a few workers (an agent always on the same one), each with a bounded queue: a
/// change that finds its worker's queue full is dropped and logged, never waited for.
///
/// It only reads the state files, so it needs only `gws-agentd-readers`: it cannot act on
/// agents (the control socket is the operators'). The daemon never waits for it.
public final class HookDispatcher: Sendable {
    public struct Settings: Sendable {
        public var stateDirectory: String
        public var hooksDirectory: String
        public var timeout: Duration
        public var workers: Int
        public var queueLimit: Int

        public init(stateDirectory: String, hooksDirectory: String, timeout: Duration, workers: Int, queueLimit: Int) {
            self.stateDirectory = stateDirectory
            self.hooksDirectory = hooksDirectory
            self.timeout = timeout
            self.workers = max(1, workers)
            self.queueLimit = max(1, queueLimit)
        }
    }

    private let settings: Settings
    private let runner: HookRunner
    private let log: @Sendable (String) -> Void
    private let queues: [DispatchQueue]
    /// Changes waiting or running, per worker.
    private let pending: Locked<[Int]>
    /// Each agent's last document (by state-file name), to tell a change from a rewrite.
    private let last = Locked<[String: StateDocument]>([:])

    public init(settings: Settings, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.log = log
        runner = HookRunner(directory: settings.hooksDirectory, timeout: settings.timeout, log: log)
        queues = (0..<settings.workers).map { DispatchQueue(label: "gws-agentd.hooks.\($0)") }
        pending = Locked(Array(repeating: 0, count: settings.workers))
    }

    /// Watches until an inotify error (returned as errno); reads every state file first, so
    /// that the first change of each agent has a document to compare with.
    public func run() -> Int32? {
        guard let inotify = Inotify() else { return errno }
        let mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE)
        guard inotify.add(settings.stateDirectory, mask: mask) >= 0 else { return errno }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: settings.stateDirectory)) ?? []
        for name in names where Self.isStateFile(name) { _ = read(name) }
        log("hooks: following \(names.filter(Self.isStateFile).count) state file(s) in \(settings.stateDirectory)")
        while true {
            guard let events = inotify.read(timeout: 1000) else { return errno }
            for event in events where Self.isStateFile(event.name) {
                if event.mask & UInt32(IN_DELETE) != 0 {
                    _ = last.withLock { $0.removeValue(forKey: event.name) }
                    continue
                }
                if let change = read(event.name) { dispatch(change) }
            }
        }
    }

    /// `NAME.json` written by the daemon (not its temporary files).
    static func isStateFile(_ name: String) -> Bool { name.hasSuffix(".json") && !name.hasPrefix(".") }

    /// Reads `name`; returns the change it makes to its agent, if any.
    func read(_ name: String) -> HookChange? {
        let path = settings.stateDirectory + "/" + name
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
            let document = try? StateDocument.decode(Array(data))
        else { return nil }
        let previous = last.withLock { last -> StateDocument? in
            let previous = last[name]
            // A document older than the one kept (a rename seen late) changes nothing.
            if let previous, previous.pid == document.pid, previous.seq >= document.seq { return nil }
            last[name] = document
            return previous ?? document
        }
        guard let previous, HookChange.isChange(from: previous, to: document) else { return nil }
        return HookChange(previous: previous, current: document, bytes: Array(data), path: path)
    }

    /// Queues `change` on its agent's worker, or drops it when that queue is full.
    func dispatch(_ change: HookChange) {
        let agent = change.current.agent.username
        let worker = Int(agent.utf8.reduce(UInt32(5381)) { $0 &* 33 &+ UInt32($1) } % UInt32(queues.count))
        let accepted = pending.withLock { counts -> Bool in
            guard counts[worker] < settings.queueLimit else { return false }
            counts[worker] += 1
            return true
        }
        guard accepted else {
            log(
                "hooks: queue full (\(settings.queueLimit)); the change of \(agent) to \(change.current.agent.state) is dropped"
            )
            return
        }
        let runner = self.runner
        let pending = self.pending
        queues[worker].async {
            runner.run(change)
            pending.withLock { $0[worker] -= 1 }
        }
    }
}
