/// One node's HTTP sessions, as GWS's servlet container keeps them: the `JSESSIONID`
/// cookie, the user it authenticated, the CSRF token that lives as long as the session,
/// and an idle timeout refreshed by every request (long polls included).
///
/// Sessions are node-local: nothing is replicated to the other nodes of a cluster.
struct HTTPSessions {
    struct Entry {
        var username: String
        var csrfToken: String
        var lastUsed: ContinuousClock.Instant
    }

    /// A session unused for this long is gone (GWS's sample configuration: 1800 s).
    var idleTimeout: Duration
    private var entries: [String: Entry] = [:]
    /// Past this many sessions, expired ones are purged before a new one is made.
    private static let purgeThreshold = 1_000
    /// The count at which the next purge runs: twice what the last one kept (at least
    /// ``purgeThreshold``), so that 10,000 agents logging in cost amortised constant work
    /// per login, not a scan of every session each.
    private var nextPurge = purgeThreshold

    init(idleTimeout: Duration) {
        self.idleTimeout = idleTimeout
    }

    /// The live session `id` at `now`; an expired one is forgotten and reported as absent.
    mutating func lookup(_ id: String?, now: ContinuousClock.Instant) -> Entry? {
        guard let id, let entry = entries[id] else { return nil }
        guard entry.lastUsed.duration(to: now) <= idleTimeout else {
            entries[id] = nil
            return nil
        }
        return entry
    }

    /// A request used session `id` at `now`: its idle timeout starts again.
    mutating func touch(_ id: String, now: ContinuousClock.Instant) {
        entries[id]?.lastUsed = now
    }

    /// Creates a session for `username`; returns its id and entry.
    mutating func create(for username: String, now: ContinuousClock.Instant) -> (String, Entry) {
        if entries.count >= nextPurge {
            entries = entries.filter { $0.value.lastUsed.duration(to: now) <= idleTimeout }
            nextPurge = max(Self.purgeThreshold, entries.count * 2)
        }
        let id = randomIdentifier(length: 24)
        let entry = Entry(username: username, csrfToken: UUIDText.random(), lastUsed: now)
        entries[id] = entry
        return (id, entry)
    }

    /// Forgets session `id` (EndContactCenterSession invalidates the caller's session).
    mutating func remove(_ id: String) { entries[id] = nil }

    /// Forgets every session of `username`.
    mutating func remove(username: String) {
        entries = entries.filter { $0.value.username != username }
    }

    /// Forgets every session (a restart, an expiry of all sessions).
    mutating func removeAll() { entries = [:] }

    /// How many sessions exist (expired ones not yet purged included).
    var count: Int { entries.count }
}

/// Random UUID strings without Foundation.
enum UUIDText {
    static func random() -> String {
        let hex = Array("0123456789abcdef")
        let digits = (0..<32).map { _ in hex.randomElement() ?? "0" }
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }
        return groups.joined(separator: "-")
    }
}
