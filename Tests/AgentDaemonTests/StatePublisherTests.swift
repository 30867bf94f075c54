import AgentState
import Foundation
import GWS
import Glibc
import TestSupport
import Testing

@testable import AgentDaemon

@Suite("State publisher and atomic writer")
struct StatePublisherTests {
    let dir: TemporaryDirectory
    let header = StateHeader(generator: "gws-agentd test", pid: 1, invocationID: nil, heartbeatSeconds: 10)

    init() throws { dir = try TemporaryDirectory() }

    func model(_ state: String, dnd: Bool = false) -> AgentModel {
        var coordinator = AgentCoordinator<ContinuousClock.Instant>(
            username: "agent1", settings: CoordinatorSettings(channels: []), seed: 1)
        _ = coordinator.handle(.start, now: .now, time: "2026-01-01T00:00:00.000Z")
        _ = coordinator.handle(
            .snapshotFetched(
                token: 1,
                .success(
                    UserSnapshot(
                        username: "agent1",
                        devices: [DeviceResource(id: "d", userState: UserState(state: state), doNotDisturb: dnd)],
                        channels: []))),
            now: .now, time: "2026-01-01T00:00:01.000Z")
        return coordinator.model
    }

    func readDocument() throws -> StateDocument {
        try StateDocument.decode(Array(try #require(dir.read("state.json")).utf8))
    }

    @Test("Writes are atomic renames; unchanged content is not rewritten; seq grows per write")
    func writesAndSeq() throws {
        let publisher = StatePublisher(writer: AtomicFileWriter(path: dir.path + "/state.json"), header: header)
        let start = ContinuousClock.now
        #expect(publisher.update(model: model("Ready"), now: start) == .wrote)
        #expect(try readDocument().seq == 1)
        #expect(publisher.update(model: model("Ready"), now: start + .seconds(1)) == .idle)
        #expect(publisher.update(model: model("NotReady"), now: start + .seconds(2)) == .wrote)
        let document = try readDocument()
        #expect(document.seq == 2)
        #expect(document.agent.state == "NotReady")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "state.json" }
        #expect(leftovers.isEmpty)
        var info = stat()
        stat(dir.path + "/state.json", &info)
        #expect(info.st_mode & 0o777 == 0o644 & ~currentUmask())
    }

    @Test("A temp file left by a write that died half-way is replaced, not an obstacle")
    func leftoverTemporaryFile() throws {
        let leftover = try dir.write(".state.json.\(getpid()).tmp", "{\"half\":", mode: 0o644)
        let writer = AtomicFileWriter(path: dir.path + "/state.json")
        try writer.write(Array("{\"whole\":true}\n".utf8))
        #expect(dir.read("state.json") == "{\"whole\":true}\n")
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test("A burst within the spacing window is written once, with the final state")
    func coalescing() throws {
        let publisher = StatePublisher(writer: AtomicFileWriter(path: dir.path + "/state.json"), header: header)
        let start = ContinuousClock.now
        #expect(publisher.update(model: model("Ready"), now: start) == .wrote)
        let due = start + .milliseconds(10)
        #expect(publisher.update(model: model("NotReady"), now: start + .milliseconds(1)) == .scheduled(due))
        #expect(publisher.update(model: model("Ready", dnd: true), now: start + .milliseconds(2)) == .idle)
        #expect(publisher.update(model: model("LoggedOut"), now: start + .milliseconds(3)) == .idle)
        #expect(try readDocument().agent.state == "Ready")
        #expect(publisher.flush(model: model("LoggedOut"), now: due) == .wrote)
        #expect(try readDocument().agent.state == "LoggedOut")
        #expect(try readDocument().seq == 2)
        #expect(publisher.writes == 2)
    }

    @Test("A full disk loses nothing: the failure is reported and the next heartbeat writes")
    func fullDisk() throws {
        let fileSystem = FaultyFileSystem()
        let publisher = StatePublisher(
            writer: AtomicFileWriter(path: dir.path + "/state.json", fileSystem: fileSystem), header: header)
        let start = ContinuousClock.now
        #expect(publisher.update(model: model("Ready"), now: start) == .wrote)
        fileSystem.fail(with: ENOSPC)
        let outcome = publisher.update(model: model("NotReady"), now: start + .seconds(1))
        #expect(outcome == .failed(FileSystemError("create", dir.path + "/.state.json.\(getpid()).tmp", code: ENOSPC)))
        #expect(publisher.failure?.description.contains("No space left on device") == true)
        #expect(try readDocument().agent.state == "Ready")
        #expect(publisher.heartbeat(model: model("NotReady"), now: start + .seconds(2)) != .wrote)
        fileSystem.fail(with: nil)
        #expect(publisher.heartbeat(model: model("NotReady"), now: start + .seconds(3)) == .wrote)
        #expect(try readDocument().agent.state == "NotReady")
        #expect(publisher.failure == nil)
        #expect(publisher.writeFailures == 2)
    }

    @Test("A missing directory is reported, and written once it exists")
    func missingDirectory() throws {
        let path = dir.path + "/later/state.json"
        let publisher = StatePublisher(writer: AtomicFileWriter(path: path), header: header)
        let start = ContinuousClock.now
        guard case .failed(let error) = publisher.update(model: model("Ready"), now: start) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == ENOENT)
        mkdir(dir.path + "/later", 0o755)
        #expect(publisher.heartbeat(model: model("Ready"), now: start + .seconds(1)) == .wrote)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("The heartbeat touches the mtime without rewriting, and rewrites a deleted file")
    func heartbeat() throws {
        let path = dir.path + "/state.json"
        let publisher = StatePublisher(writer: AtomicFileWriter(path: path), header: header)
        let start = ContinuousClock.now
        _ = publisher.update(model: model("Ready"), now: start)
        var old = timespec(tv_sec: 1_000_000, tv_nsec: 0)
        withUnsafePointer(to: &old) { pointer in
            var times = [pointer.pointee, pointer.pointee]
            _ = utimensat(AT_FDCWD, path, &times, 0)
        }
        #expect(publisher.heartbeat(model: model("Ready"), now: start + .seconds(1)) == .idle)
        var info = stat()
        stat(path, &info)
        #expect(info.st_mtim.tv_sec > 1_000_000)
        #expect(publisher.writes == 1)
        unlink(path)
        #expect(publisher.heartbeat(model: model("Ready"), now: start + .seconds(2)) == .wrote)
    }

    @Test("A file another process put in the state file's place is rewritten at the heartbeat, not touched")
    func heartbeatRewritesAReplacedFile() throws {
        let path = dir.path + "/state.json"
        let publisher = StatePublisher(writer: AtomicFileWriter(path: path), header: header)
        let start = ContinuousClock.now
        #expect(publisher.update(model: model("Ready"), now: start) == .wrote)
        // Another writer renames its own file over ours (a new inode, a stale state).
        let other = try dir.write("other.json", "{\"forged\":true}\n", mode: 0o644)
        #expect(rename(other, path) == 0)
        #expect(publisher.heartbeat(model: model("Ready"), now: start + .seconds(1)) == .wrote)
        #expect(try readDocument().agent.state == "Ready")
        #expect(publisher.writes == 2)
        // Ours again: the next heartbeat only touches it.
        #expect(publisher.heartbeat(model: model("Ready"), now: start + .seconds(2)) == .idle)
    }

    @Test("Observers hear of each document once, written or not: a full disk does not hide a change")
    func observersToldOfFailedWrites() throws {
        let fileSystem = FaultyFileSystem()
        let publisher = StatePublisher(
            writer: AtomicFileWriter(path: dir.path + "/state.json", fileSystem: fileSystem), header: header)
        var heard: [(state: String, written: Bool)] = []
        publisher.onPublish = { document, written in heard.append((document.agent.state, written)) }
        let start = ContinuousClock.now
        _ = publisher.update(model: model("Ready"), now: start)
        fileSystem.fail(with: ENOSPC)
        _ = publisher.update(model: model("NotReady"), now: start + .seconds(1))
        // Retried at the heartbeat, still failing: not announced a second time.
        _ = publisher.heartbeat(model: model("NotReady"), now: start + .seconds(2))
        fileSystem.fail(with: nil)
        _ = publisher.heartbeat(model: model("NotReady"), now: start + .seconds(3))
        #expect(heard.map(\.state) == ["Ready", "NotReady", "NotReady"])
        #expect(heard.map(\.written) == [true, false, true])
    }

    @Test("Moving the file writes the new path and removes the old one")
    func move() throws {
        let publisher = StatePublisher(writer: AtomicFileWriter(path: dir.path + "/state.json"), header: header)
        _ = publisher.update(model: model("Ready"), now: .now)
        #expect(publisher.move(to: dir.path + "/moved.json", model: model("Ready"), now: .now) == .wrote)
        #expect(dir.read("state.json") == nil)
        #expect(dir.read("moved.json")?.contains("\"Ready\"") == true)
    }
}

/// The process umask (read without changing it for longer than an instant).
func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
}
