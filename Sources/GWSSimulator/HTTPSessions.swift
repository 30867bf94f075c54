/// GWS's HTTP sessions: the `JSESSIONID` cookie, the user it authenticated, and the
/// CSRF token that lives as long as the session.
struct HTTPSessions {
    struct Entry {
        var username: String
        var csrfToken: String
    }

    private var entries: [String: Entry] = [:]

    func lookup(_ id: String?) -> Entry? { id.flatMap { entries[$0] } }

    /// Creates a session for `username`; returns its id and entry.
    mutating func create(for username: String) -> (String, Entry) {
        let id = randomIdentifier(length: 24)
        let entry = Entry(username: username, csrfToken: UUIDText.random())
        entries[id] = entry
        return (id, entry)
    }

    mutating func removeAll() { entries = [:] }
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
