import JSON
import Testing

@testable import BayeuxCore

@Suite("Bayeux codec")
struct CodecTests {
    @Test("Decodes arrays, a bare object, and skips elements that are not messages")
    func decode() throws {
        let messages = try BayeuxCodec.decode(
            Array(#"[{"channel":"/a","data":1},5,{"x":1},{"channel":"/meta/connect","id":7}]"#.utf8))
        #expect(messages.map(\.channel) == ["/a", "/meta/connect"])
        #expect(messages[1].id == "7")
        #expect(try BayeuxCodec.decode(Array(#"{"channel":"/b"}"#.utf8)).map(\.channel) == ["/b"])
    }

    @Test("Empty, HTML and non-message bodies are typed failures")
    func failures() {
        #expect(throws: BayeuxDecodingError.emptyBody) { try BayeuxCodec.decode(Array(" \n".utf8)) }
        #expect(throws: BayeuxDecodingError.self) { try BayeuxCodec.decode(Array("<html>503</html>".utf8)) }
        #expect(throws: BayeuxDecodingError.notMessages) { try BayeuxCodec.decode(Array("42".utf8)) }
    }

    @Test("Encodes a batch as one JSON array")
    func encode() throws {
        let body = BayeuxCodec.encode([
            BayeuxMessage(channel: "/meta/connect", ["id": "1"]), BayeuxMessage(channel: "/x"),
        ])
        #expect(String(decoding: body, as: UTF8.self) == #"[{"channel":"/meta/connect","id":"1"},{"channel":"/x"}]"#)
    }

    @Test("Error strings parse per the grammar; odd ones keep their text")
    func errorStrings() {
        let e = BayeuxErrorString("403:c1,/a:Subscription denied")
        #expect(e.code == 403)
        #expect(e.arguments == ["c1", "/a"])
        #expect(e.message == "Subscription denied")
        #expect(BayeuxErrorString("402::session_unknown").arguments.isEmpty)
        #expect(BayeuxErrorString("weird").code == nil)
        #expect(BayeuxErrorString("weird").message == "weird")
    }
}

@Suite("Channel patterns")
struct ChannelPatternTests {
    @Test(
        "Matching follows the server's wildcard rules",
        arguments: [
            ("/a/*", "/a/b", true), ("/a/*", "/a", false), ("/a/*", "/a/b/c", false),
            ("/a/**", "/a/b", true), ("/a/**", "/a/b/c", true), ("/a/**", "/a", false),
            ("/**", "/meta/connect", false), ("/*", "/meta", true), ("/a/b", "/a/b", true), ("/a/b", "/a/c", false),
        ])
    func matching(pattern: String, channel: String, expected: Bool) throws {
        #expect(try #require(ChannelPattern(pattern)).matches(channel) == expected)
    }

    @Test("Invalid names are rejected", arguments: ["", "/", "a/b", "/a/", "/a//b", "/*/b", "/a/b*", "/a/***"])
    func invalid(name: String) {
        #expect(ChannelPattern(name) == nil)
    }
}

@Suite("Backoff and advice")
struct BackoffTests {
    @Test("Delays grow linearly to the cap, jitter only shortens, never negative")
    func bounds() {
        let policy = BackoffPolicy(increment: .seconds(1), maximum: .seconds(30), jitter: 0.5)
        var random = SplitMix64(seed: 7)
        #expect(policy.delay(afterFailures: 0, random: 0.9) == .zero)
        for failures in 1..<100 {
            let d = policy.delay(afterFailures: failures, random: random.unit())
            let nominal = min(Duration.seconds(failures), .seconds(30))
            #expect(d <= nominal && d >= nominal / 2)
        }
        #expect(policy.delay(afterFailures: Int.max, random: 0) == .seconds(30))
    }

    @Test("Advice merges field by field and ignores nonsense")
    func adviceMerge() {
        var advice = Advice.initial
        advice.merge(["interval": 250, "timeout": -5, "reconnect": "bogus", "maxInterval": 0])
        #expect(advice.interval == .milliseconds(250))
        #expect(advice.timeout == .seconds(30))
        #expect(advice.reconnect == nil)
        #expect(advice.maxInterval == nil)
        advice.merge(["long-polling": ["reconnect": "handshake"], "reconnect": "retry"])
        #expect(advice.reconnect == .handshake)
        advice.merge(["interval": 1e300])
        #expect(advice.interval == Advice.maximumInterval)
    }
}
