import AgentState
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test(
        "Known instants",
        arguments: [
            (Int64(0), Int64(0), "1970-01-01T00:00:00.000Z"),
            (1_795_557_600, 123_456_789, "2026-11-24T22:00:00.123Z"),
            (951_782_400, 0, "2000-02-29T00:00:00.000Z"),
            (-1, 999_000_000, "1969-12-31T23:59:59.999Z"),
            (4_102_444_799, 0, "2099-12-31T23:59:59.000Z"),
        ])
    func format(seconds: Int64, nanos: Int64, expected: String) {
        #expect(Timestamp.rfc3339(seconds: seconds, nanoseconds: nanos) == expected)
    }

    @Test("Parsing inverts formatting, across leap years and days")
    func roundTrip() throws {
        var seconds: Int64 = -86_400 * 400
        while seconds < 86_400 * 365 * 130 {
            let text = Timestamp.rfc3339(seconds: seconds, nanoseconds: 250_000_000)
            let parsed = try #require(Timestamp.parse(text))
            #expect(abs(parsed - (Double(seconds) + 0.25)) < 0.0005, "\(text)")
            seconds += 86_400 * 7 + 3_601
        }
    }

    @Test(
        "Malformed text is refused",
        arguments: [
            "", "2026-11-24", "2026-13-01T00:00:00Z", "2026-11-24T22:00:00.12", "2026-11-24 22:00:00Z",
            "2026-11-24T22:00:00.Z",
        ])
    func malformed(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
