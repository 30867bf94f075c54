/// Collects the elements of an async sequence so that tests can wait for a condition
/// on everything seen so far, with a deadline instead of a fixed sleep.
public actor EventRecorder<Event: Sendable> {
    /// Everything recorded, in order.
    public private(set) var events: [Event] = []
    private var task: Task<Void, Never>?

    public init() {}

    /// Starts recording `sequence` in the background.
    public func record<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Event {
        task = Task { [weak self] in
            do {
                for try await event in sequence { await self?.append(event) }
            } catch {}
        }
    }

    private func append(_ event: Event) { events.append(event) }

    /// Waits until `condition` holds for the events so far, or `timeout` passes.
    /// - Returns: whether the condition was met.
    @discardableResult
    public func wait(
        timeout: Duration = .seconds(20), until condition: @Sendable ([Event]) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(events) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition(events)
    }
}
