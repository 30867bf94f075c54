/// The members of a JSON object, kept in document order.
///
/// Objects in Bayeux traffic are small (a handful of members), where a linear scan beats
/// hashing: parsing appends without hashing a single key, which is most of the parser's
/// cost with a dictionary. Setting an existing key replaces its value, so a key appears
/// at most once. Equality ignores member order, as JSON does.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The members, in insertion order.
    public private(set) var members: [(key: String, value: JSONValue)]

    public init() {
        members = []
    }

    /// A literal's keys are distinct (as a `Dictionary` literal's must be): its members are
    /// taken as written, without a search per key (a state document builds about 50 members
    /// per write this way).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(literal: elements)
    }

    /// The members of a literal, in order; a repeated key is a programming error, caught
    /// by the assertion in debug builds (tests).
    init(literal elements: [(String, JSONValue)]) {
        assert(Set(elements.map(\.0)).count == elements.count, "a JSON object literal repeats a key")
        members = elements.map { (key: $0.0, value: $0.1) }
    }

    /// Builds an object from `(key, value)` pairs; a repeated key keeps its last value.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        members = []
        for (key, value) in pairs { self[key] = value }
    }

    /// Builds an object from members that are known to have distinct keys (the parser
    /// checks for duplicates itself).
    init(uniqueMembers: [(key: String, value: JSONValue)]) {
        members = uniqueMembers
    }

    /// The number of members.
    public var count: Int { members.count }
    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }
    /// The member names, in order.
    public var keys: [String] { members.map(\.key) }

    /// The value of member `key`; assigning `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count <= 16 { return lhs.members.allSatisfy { rhs[$0.key] == $0.value } }
        // Large objects: by index, so that comparing stays linear.
        var values = [String: JSONValue](minimumCapacity: rhs.count)
        for member in rhs.members { values[member.key] = member.value }
        return lhs.members.allSatisfy { values[$0.key] == $0.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for member in members.sorted(by: { $0.key < $1.key }) {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}
