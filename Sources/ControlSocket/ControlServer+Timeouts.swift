/// The clients' timeouts on the server thread: a stalled reader, an unfinished line, an
/// idle connection; how long `poll` may sleep before the next one falls due.
extension ControlServer {
    /// Milliseconds until the earliest timeout of any client (-1: none).
    func pollTimeout(_ clients: [Int: Client]) -> Int32 {
        guard !clients.isEmpty else { return -1 }
        let now = ContinuousClock.now
        var earliest: Duration?
        for client in clients.values {
            for deadline in deadlines(of: client) {
                let left = now.duration(to: deadline)
                earliest = min(earliest ?? left, left)
            }
        }
        guard let earliest else { return -1 }
        let milliseconds = max(
            0, earliest.components.seconds * 1000 + earliest.components.attoseconds / 1_000_000_000_000_000)
        return Int32(clamping: milliseconds + 1)
    }

    /// When each of the client's timeouts falls due.
    func deadlines(of client: Client) -> [ContinuousClock.Instant] {
        var deadlines: [ContinuousClock.Instant] = []
        if client.pending > 0 { deadlines.append(client.lastOutputProgress + limits.stallTimeout) }
        if let since = client.partialSince { deadlines.append(since + limits.partialLineTimeout) }
        if client.activity == 0 && client.pending == 0 { deadlines.append(client.lastRequest + limits.idleTimeout) }
        return deadlines
    }

    /// Drops the clients whose timeouts have passed.
    func expire(_ clients: inout [Int: Client]) {
        let now = ContinuousClock.now
        for client in Array(clients.values) {
            let reason: DropReason?
            if client.pending > 0 && now >= client.lastOutputProgress + limits.stallTimeout {
                reason = .stalled
            } else if let since = client.partialSince, now >= since + limits.partialLineTimeout {
                reason = .partialLine
            } else if client.activity == 0 && client.pending == 0 && now >= client.lastRequest + limits.idleTimeout {
                reason = .idle
            } else {
                reason = nil
            }
            if let reason { drop(client, from: &clients, reason: reason) }
        }
    }
}
