import JSON
import Testing

/// Objects far larger than any GWS or Bayeux sends: parsed correctly (the cost of doing so
/// is measured by `bayeux-bench`, not timed here), and capped with a clear error.
@Suite("JSON from a hostile server")
struct HostileJSONTests {
    /// `{"k0":0,"k1":1,…}` with `count` members, and `repeats` of the first keys again.
    func object(count: Int, repeats: Int = 0) -> [UInt8] {
        var text = "{"
        for index in 0..<count { text += "\"k\(index)\":\(index)," }
        for index in 0..<repeats { text += "\"k\(index)\":-\(index)," }
        text.removeLast()
        return Array((text + "}").utf8)
    }

    @Test("100,000 distinct keys parse, with every value in place, when the cap allows them")
    func manyKeys() throws {
        let value = try JSONParser(maximumMembers: 200_000).parse(object(count: 100_000))
        let members = try #require(value.objectValue)
        #expect(members.count == 100_000)
        #expect(members["k0"] == .int(0))
        #expect(members["k99999"] == .int(99_999))
    }

    @Test("Past the scan, later duplicates still win and keys stay unique")
    func duplicatesInLargeObjects() throws {
        let value = try JSONParser().parse(object(count: 40, repeats: 20))
        let members = try #require(value.objectValue)
        #expect(members.count == 40)
        #expect(members["k3"] == .int(-3))
        #expect(members["k25"] == .int(25))
        #expect(members["k19"] == .int(-19))
        // Equality of large objects ignores order, as for small ones.
        let reordered = try JSONParser().parse(Array("{\"b\":1,\"a\":2}".utf8))
        #expect(reordered == ["a": 2, "b": 1])
        #expect(value == (try JSONParser().parse(JSONWriter.bytes(value))))
    }

    @Test("The default cap refuses an object with more than 10,000 members, by name")
    func cap() {
        #expect(throws: JSONParseError.tooManyMembers(limit: 10_000)) {
            try JSONParser().parse(object(count: 10_001))
        }
        #expect(
            JSONParseError.tooManyMembers(limit: 10_000).description == "a JSON object with more than 10000 members")
        #expect((try? JSONParser().parse(object(count: 10_000))) != nil)
    }
}

@Suite("JSON memory follows the input's size")
struct JSONMemoryTests {
    @Test("300,000 empty objects in an array parse, and cost no capacity of their own")
    func manyEmptyObjects() throws {
        let text = "[" + Array(repeating: "{}", count: 300_000).joined(separator: ",") + "]"
        let value = try JSONParser().parse(Array(text.utf8))
        let elements = try #require(value.arrayValue)
        #expect(elements.count == 300_000)
        // An empty object holds no storage of its own (Swift's shared empty array).
        #expect(elements.allSatisfy { $0.objectValue?.members.capacity == 0 })
    }

    @Test("No valid document reaches the value budget; the smallest values are the densest case")
    func budget() throws {
        for text in ["1", "[1]", "[1,1,1]", "[[],[],[]]", "{\"\":0}", "[{},{}]"] {
            #expect(throws: Never.self) { try JSONParser().parse(Array(text.utf8)) }
        }
        let dense = "[" + Array(repeating: "0", count: 100_000).joined(separator: ",") + "]"
        #expect(try JSONParser().parse(Array(dense.utf8)).arrayValue?.count == 100_000)
    }
}
