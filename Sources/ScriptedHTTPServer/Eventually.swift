/// Polls `condition` every few milliseconds until it holds or `timeout` passes, and says
/// whether it held. Tests wrap it as `#expect(await eventually { … }, "what was awaited")`
/// so that no wait is without a deadline or without a message.
public func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
}
