import AgentState
import Foundation
import GWSSimulator
import ScriptedHTTPServer
import Testing

/// Operator commands through the running daemon's control socket: no password in the
/// caller's reach, `set --wait` confirmed by the daemon's own notifications, `states`,
/// `snapshot`, `subscribe`, and clients that misbehave.
@Suite("End to end: operator commands through the daemon", .serialized)
struct OperatorSocketTests {
    /// The environment of a caller who has nothing of the agent's: no configuration file,
    /// no password, no credentials directory.
    static let bareEnvironment = ["GWS_AGENTD_SERVER_PASSWORD": "", "CREDENTIALS_DIRECTORY": ""]

    @Test("set --wait through the socket: no password anywhere, confirmed, logged with the caller")
    func setThroughSocket() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced(dnd: false) != nil)
            // The configuration (and with it the password file) is out of the caller's reach.
            try FileManager.default.removeItem(atPath: f.configPath)
            let result = try await runCommand(
                ["set", "dnd-on", "--wait", "--timeout", "20", "--verbose", "--state-file", f.statePath],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("through the running daemon (control socket \(f.directory)/control.sock)"))
            #expect(
                result.stdout.contains("accepted: DoNotDisturbOn on all channels and devices")
                    || result.stdout.contains("accepted: DoNotDisturbOn"))
            #expect(result.stdout.contains("confirmed by the daemon's notifications: agent1"), "\(result.stdout)")
            #expect(result.stdout.contains("DND on"))
            #expect(f.state()?.agent.dnd == true, "confirmed means the state file already says so")
            // The journal (here the JSON log) says who asked.
            let log = f.daemon?.output ?? ""
            #expect(log.contains("control: set DoNotDisturbOn"))
            #expect(log.contains("\"peer.uid\":\"\(getuid())\""), "the caller's uid is logged")

            let states = try await runCommand(
                ["states", "--json", "--state-file", f.statePath], environment: Self.bareEnvironment,
                directory: f.directory)
            #expect(states.status == 0, "stderr: \(states.stderr)")
            #expect(states.stdout.contains("\"operation\":\"Ready\""))

            let rejected = try await runCommand(
                ["set", "--operation", "NoSuchOperation", "--state-file", f.statePath],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(rejected.status == 1, "stderr: \(rejected.stderr)")
            // Serving operators starts no thread beyond the daemon's own (no libdispatch worker).
            let threads = Set(f.daemon?.threadNames ?? [])
            #expect(threads.isSubset(of: ["gws-agentd", "swift-executor", "signals", "control-socket"]), "\(threads)")
        }
    }

    @Test("After a reload that changes server.username, the socket acts on, answers for and audits the new agent")
    func usernameChangedByReload() async throws {
        try await withDaemon(agents: ["agent1", "agent2"]) { f in
            try f.start()
            #expect(await f.waitForSynced(dnd: false) != nil)
            try f.writeConfig(username: "agent2")
            let reload = try await runCommand(["reload", "--state-file", f.statePath], directory: f.directory)
            #expect(reload.status == 0, "stderr: \(reload.stderr)")
            #expect(
                await f.waitForState("agent2 synced in the state file") {
                    $0.agent.username == "agent2" && $0.agent.synced
                } != nil)
            let result = try await runCommand(
                ["set", "dnd-on", "--wait", "--timeout", "20", "--state-file", f.statePath],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout.contains("confirmed by the daemon's notifications: agent2"), "\(result.stdout)")
            let audit = (f.daemon?.output ?? "").split(separator: "\n").filter {
                $0.contains("control: set DoNotDisturbOn")
            }
            #expect(audit.count == 1 && audit.allSatisfy { $0.contains("\"gws.username\":\"agent2\"") }, "\(audit)")
            let refused = try await runCommand(
                ["set", "dnd-off", "--agent", "agent1", "--state-file", f.statePath],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(refused.status == 64, "the old name is no longer followed: \(refused.stderr)")
        }
    }

    @Test("set --config finds the daemon's socket from the configuration, with no password in reach")
    func setThroughTheConfigurationsSocket() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced(dnd: false) != nil)
            // The socket is beside the configuration's state file (not in /run/gws-agentd), and
            // the password file is gone: the command must read the configuration without it.
            try FileManager.default.removeItem(atPath: f.directory + "/password")
            let result = try await runCommand(
                ["set", "dnd-on", "--wait", "--timeout", "20", "--verbose", "--config", f.configPath],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("through the running daemon (control socket \(f.directory)/control.sock)"))
            #expect(result.stdout.contains("confirmed by the daemon's notifications: agent1"), "\(result.stdout)")
            #expect(f.simulator.counters[.httpSessionsCreated] == 1, "the caller logged in to GWS itself")
        }
    }

    @Test(
        "--agent means the same through the daemon and with a login of its own: an unknown agent is refused with the names"
    )
    func unknownAgentBothWays() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let through = try await runCommand(
                ["set", "dnd-on", "--agent", "nobody", "--config", f.configPath], directory: f.directory)
            #expect(through.status == 64, "stderr: \(through.stderr)")
            #expect(
                through.stderr.contains("this daemon follows no agent nobody; it follows agent1"), "\(through.stderr)")
            let daemon = try #require(f.daemon)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            let own = try await runCommand(
                ["set", "dnd-on", "--agent", "nobody", "--config", f.configPath, "--verbose"], directory: f.directory)
            #expect(own.status == 64, "stderr: \(own.stderr)")
            #expect(own.stderr.contains("the configuration names no agent nobody; it names agent1"), "\(own.stderr)")
            // The agent it names is accepted on this route too.
            let named = try await runCommand(
                ["set", "dnd-on", "--agent", "agent1", "--config", f.configPath, "--verbose"], directory: f.directory)
            #expect(named.status == 0, "stderr: \(named.stderr)")
            #expect(named.stderr.contains("with a login of its own"))
        }
    }

    @Test("check-config --online through the daemon, with a password only the service can read")
    func checkConfigThroughSocket() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            // The caller cannot read the password file: as for a systemd credential.
            let hidden = f.directory + "/hidden"
            try FileManager.default.createDirectory(atPath: hidden, withIntermediateDirectories: false)
            try FileManager.default.moveItem(atPath: f.directory + "/password", toPath: hidden + "/password")
            let config = try String(contentsOfFile: f.configPath, encoding: .utf8)
                .replacingOccurrences(of: f.directory + "/password", with: "/nonexistent/password")
            try config.write(toFile: f.directory + "/operator.yaml", atomically: true, encoding: .utf8)
            let result = try await runCommand(
                ["check-config", "--online", "--verbose", "--config", f.directory + "/operator.yaml"],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout.contains("password from nowhere this user can read"))
            #expect(result.stdout.contains("the running daemon (pid "))
            f.daemon?.signal(SIGTERM)
            #expect(await f.daemon?.waitForExit() == 0)
            let without = try await runCommand(
                ["check-config", "--online", "--config", f.directory + "/operator.yaml"],
                environment: Self.bareEnvironment, directory: f.directory)
            #expect(without.status == 78, "no daemon and no password: a configuration error")
        }
    }

    @Test("A caller outside the socket's group is refused (77), when the test can switch users")
    func refusedCaller() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            print("skipped: needs root and setpriv to run a command as another user")
            return
        }
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            // The directory is searchable by others; the socket (0660, root's group) is not theirs.
            chmod(f.directory, 0o711)
            let result = try await runCommand(
                ["set", "ready", "--socket", f.directory + "/control.sock"], environment: Self.bareEnvironment,
                directory: f.directory, asUser: 65534)
            #expect(result.status == 77, "stdout: \(result.stdout) stderr: \(result.stderr)")
            #expect(result.stderr.contains("not allowed to use the daemon's control socket"))
        }
    }

    @Test("A subscriber that never reads does not slow the daemon; snapshot and subscribe answer")
    func slowSubscriber() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let path = f.directory + "/control.sock"
            let snapshot = try SocketPeer(path).exchange("{\"id\":1,\"op\":\"snapshot\"}\n")
            #expect(snapshot.contains("\"ok\":true") && snapshot.contains("\"username\":\"agent1\""))
            let subscriber = try SocketPeer(path)
            let first = try subscriber.exchange("{\"id\":\"s\",\"op\":\"subscribe\"}\n")
            #expect(first.contains("\"subscribed\":true"))
            // Never read again: 150 changes later, every one reached the state file in time.
            let sleeper = try SocketPeer(path)
            _ = try sleeper.exchange("{\"op\":\"subscribe\"}\n")
            for index in 0..<150 {
                let state = index % 2 == 0 ? "Ready" : "NotReady"
                await f.simulator.engine.apply(state)
                #expect(
                    await f.waitForState("change \(index) in the file") {
                        $0.agent.state == state
                    } != nil)
            }
            // The daemon still answers at once.
            #expect(try SocketPeer(path).exchange("{\"op\":\"ping\"}\n").contains("\"pong\":true"))
            // The subscriber that read first got events after its reply.
            let event = try subscriber.readLine()
            #expect(event.contains("\"event\":\"state\""))
            _ = sleeper
        }
    }
}

/// The protocol as documented: every line both ways validates against
/// `docs/control-socket.schema.json`, and every state document in it against
/// `docs/state-file.schema.json` (Debian's python3-jsonschema).
@Suite("The control socket follows its documented schema")
struct ControlSchemaTests {
    @Test("Requests, replies, errors and events of a session all validate")
    func linesValidate() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let path = f.directory + "/control.sock"
            let requests = [
                #"{"v":1,"id":1,"op":"ping"}"#, #"{"id":"two","op":"snapshot"}"#, #"{"op":"states"}"#,
                #"{"id":4,"op":"set","operation":"Ready","wait_s":10}"#,
                #"{"id":5,"op":"set","operation":"NotReady","channel":"chat"}"#,
            ]
            // Requests the schema refuses, as the daemon does (each gets an error line).
            let refused = [
                #"{"id":6,"op":"set"}"#, #"{"id":7,"op":"launch"}"#, #"{"v":2,"op":"ping"}"#,
                #"{"id":9,"op":"set","operation":"Ready","wait_s":301}"#,
                #"{"id":10,"op":"set","operation":"Ready","channel":"chat","device":"d"}"#,
            ]
            var lines = requests
            for request in requests + refused { lines.append(try SocketPeer(path).exchange(request + "\n")) }
            let subscriber = try SocketPeer(path)
            let subscribe = #"{"id":"sub","op":"subscribe"}"#
            lines += [subscribe, try subscriber.exchange(subscribe + "\n")]
            await f.simulator.engine.apply("DoNotDisturbOn")
            lines.append(try subscriber.readLine())
            #expect(lines.contains { $0.contains("\"confirmed\":true") }, "set with wait_s was confirmed")
            #expect(lines.contains { $0.contains("\"event\":\"state\"") })
            #expect(lines.contains { $0.contains("\"code\":\"bad_request\"") })
            let file = f.directory + "/control-lines.jsonl"
            try lines.map { $0.trimmingCharacters(in: .newlines) }.joined(separator: "\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await validateControlLines(file, expect: "valid")
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("\(lines.count) line(s) valid"), "\(result.output)")
            let errors = lines.filter { $0.contains("\"ok\":false") }.count
            #expect(errors == refused.count, "each refused request got an error line")
            let refusedFile = f.directory + "/refused.jsonl"
            try refused.joined(separator: "\n").write(toFile: refusedFile, atomically: true, encoding: .utf8)
            let invalid = try await validateControlLines(refusedFile, expect: "invalid")
            #expect(invalid.status == 0, "the schema refuses what the daemon refuses: \(invalid.output)")
        }
    }

    /// Runs python3-jsonschema over `file`, one JSON value per line: with `expect`
    /// "valid" every line must validate, with "invalid" every line must not.
    func validateControlLines(_ file: String, expect: String) async throws -> (status: Int32, output: String) {
        let docs = StateFileSchemaTests.repository + "/docs"
        let script = """
            import json, sys, jsonschema
            control = json.load(open('\(docs)/control-socket.schema.json'))
            state = json.load(open('\(docs)/state-file.schema.json'))
            problems = 0
            lines = [line for line in open(sys.argv[1]) if line.strip()]
            for number, line in enumerate(lines, 1):
                value = json.loads(line)
                errors = [e.message for schema, part in ((control, value), (state, value.get('state')))
                          if part is not None for e in jsonschema.Draft202012Validator(schema).iter_errors(part)]
                if sys.argv[2] == 'valid' and errors:
                    problems += 1
                    print(f'line {number}: {errors[0]}: {line.strip()[:200]}')
                if sys.argv[2] == 'invalid' and not errors:
                    problems += 1
                    print(f'line {number} should not validate: {line.strip()[:200]}')
            print(f'{len(lines) - problems} of {len(lines)} line(s) as expected' if problems
                  else f'{len(lines)} line(s) {sys.argv[2]}')
            sys.exit(1 if problems else 0)
            """
        return try await offPool {
            let process = Process()
            let pipe = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, file, expect]
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output)
        }
    }
}
