import Foundation
import GWSSimulator
import TestSupport
import Testing

/// `server.*` settings that shape the Bayeux session, end to end.
@Suite("End to end: the requested long-poll timeout")
struct ServerSettingsTests {
    @Test("server.requested_timeout_s is asked for on every long poll: GWS holding 120 s answers each within 1 s")
    func requestedTimeout() async throws {
        try await withDaemon(cometd: CometDSettings(timeout: .seconds(120), maxInterval: .seconds(240))) { f in
            try f.writeConfig(server: ["requested_timeout_s: 1"])
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let before = f.simulator.counters[.connects]
            // Five more polls answered: minutes with GWS's own hold, seconds with the daemon's.
            #expect(
                await waitUntil("five long polls answered after the sync") {
                    f.simulator.counters[.connects] >= before + 5
                })
        }
    }
}
