import Testing

/// Collects the elements of an async sequence, so that a test can wait (with
/// ``waitUntil(_:timeout:diagnosis:sourceLocation:_:)``) for a condition on everything
/// seen so far.
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

    /// Waits until `condition` holds for the events so far; an issue naming `what` is
    /// recorded when it does not within the test deadline.
    @discardableResult
    public nonisolated func wait(
        for what: String, sourceLocation: SourceLocation = #_sourceLocation,
        until condition: @escaping @Sendable ([Event]) -> Bool
    ) async -> Bool {
        await waitUntil(what, sourceLocation: sourceLocation) { condition(await self.events) }
    }
}
