import JSON
import Testing

@Suite("JSON parser and writer")
struct JSONTests {
    @Test("Parses every kind of value")
    func kinds() throws {
        let value = try JSONParser().parse(
            #" {"a":[1,-2,3.5,1e3,true,false,null],"s":"x\"\\\/\n\u00e9\ud83d\ude00","e":{}} "#)
        #expect(value["a"] == [1, -2, 3.5, 1000.0, true, false, nil])
        #expect(value["s"] == "x\"\\/\né😀")
        #expect(value["e"] == .object([:]))
    }

    @Test("Round-trips through the writer")
    func roundTrip() throws {
        let value: JSONValue = ["k": ["x", 1, 2.5, true, nil, ["n": "\u{01}\t"]], "big": .int(Int64.max)]
        #expect(try JSONParser().parse(JSONWriter.bytes(value)) == value)
    }

    @Test(
        "Strings are written exactly: plain ones whole, escapes where RFC 8259 wants them",
        arguments: [
            ("", #""""#), ("agent1", #""agent1""#),
            ("a long plain string past fifteen bytes", #""a long plain string past fifteen bytes""#),
            ("é😀", "\"é😀\""), ("say \"hi\"", #""say \"hi\"""#), ("back\\slash", #""back\\slash""#),
            ("tab\tand\u{01}", #""tab\tand\u0001""#), ("line\n", #""line\n""#), ("\u{1f}", #""\u001f""#),
        ])
    func strings(text: String, written: String) throws {
        #expect(JSONWriter.string(.string(text)) == written)
        #expect(try JSONParser().parse(written) == .string(text))
    }

    @Test("A literal's members keep their order, and the reserved room does not change the bytes")
    func literalOrder() {
        let value: JSONValue = ["z": 1, "a": 2, "m": ["y": nil, "b": true]]
        #expect(JSONWriter.string(value) == #"{"z":1,"a":2,"m":{"y":null,"b":true}}"#)
        #expect(JSONWriter.bytes(value, reservingCapacity: 0) == JSONWriter.bytes(value, reservingCapacity: 4096))
    }

    @Test(
        "Rejects malformed documents with an error, never a trap",
        arguments: [
            "", "[", "{", "[1,]", "{\"a\"}", "{\"a\":}", "01", "-", "1.", "1e", "\"abc", "\"\\x\"", "\"\\u12\"",
            "tru", "nul", "[1] x", "{\"a\":1,}", "\"\u{01}\"", "+1", ".5", "[\"\\", "{1:2}",
        ])
    func malformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser().parse(text) }
    }

    @Test("Bounds nesting depth")
    func depth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.tooDeep(limit: 64)) { try JSONParser().parse(deep) }
    }

    @Test("Huge integers become doubles; invalid UTF-8 is replaced")
    func edgeNumbersAndBytes() throws {
        #expect(try JSONParser().parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSONParser().parse([0x22, 0xFF, 0x22]) == .string("\u{FFFD}"))
    }
}
