import Foundation

/// `set` round trips: from starting `gws-agentd set … --wait` to its exit 0, through the
/// running daemon's control socket and with a login of the command's own (the daemon's
/// socket named as a path where none answers), in alternation, with the daemon running
/// against the simulator both times.
func setRoundTrips(_ options: Options) async throws {
    let rounds = options.setRounds
    print("set: \(rounds) round trips each way, `set ready|not-ready --channel chat --wait`, start to exit 0")
    let setup = try await BenchSetup.start(binary: options.binary, holdSeconds: 25)
    var socket: [UInt64] = []
    var direct: [UInt64] = []
    var failures = 0
    for index in 0..<(2 * rounds) {
        let viaSocket = index % 2 == 0
        let action = (index / 2) % 2 == 0 ? "ready" : "not-ready"
        let route =
            viaSocket
            ? ["--socket", setup.directory + "/control.sock"]
            : ["--socket", setup.directory + "/no-daemon.sock", "--config", setup.directory + "/config.yaml"]
        let started = monotonicNanoseconds()
        let status = try await runToExit(
            options.binary, ["set", action, "--channel", "chat", "--wait", "--timeout", "20"] + route)
        let took = monotonicNanoseconds() - started
        guard status == 0 else {
            failures += 1
            continue
        }
        if viaSocket { socket.append(took) } else { direct.append(took) }
    }
    await setup.stop()
    socket.sort()
    direct.sort()
    report(
        "through the daemon: p50 \(milliseconds(quantile(socket, 0.5))), p90 \(milliseconds(quantile(socket, 0.9))), max \(milliseconds(socket.last ?? 0))"
    )
    report(
        "own login and CometD session: p50 \(milliseconds(quantile(direct, 0.5))), p90 \(milliseconds(quantile(direct, 0.9))), max \(milliseconds(direct.last ?? 0))"
    )
    report("\(2 * rounds - failures) of \(2 * rounds) commands exited 0", target: failures == 0)
}

/// Runs a command with its output discarded; its exit status.
func runToExit(_ binary: String, _ arguments: [String]) async throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    return try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
}
