import AgentState
import GWS
import Testing

func device(
    _ id: String?, _ state: String?, dnd: Bool? = false, workMode: String? = nil, phone: String? = nil
) -> DeviceResource {
    DeviceResource(
        id: id, userState: state.map { UserState(state: $0, workMode: workMode) }, doNotDisturb: dnd, phoneNumber: phone
    )
}

func channel(_ name: String?, _ state: String?, dnd: Bool? = false, workMode: String? = nil) -> ChannelResource {
    ChannelResource(name: name, userState: state.map { UserState(state: $0, workMode: workMode) }, dnd: dnd)
}

@Suite("Agent cache and summary")
struct AgentCacheTests {
    func cache(devices: [DeviceResource] = [], channels: [ChannelResource] = []) -> AgentCache {
        var cache = AgentCache()
        cache.replace(with: UserSnapshot(username: "agent1", devices: devices, channels: channels))
        return cache
    }

    @Test("Devices are updated by id, case-insensitively, keeping members the message lacks")
    func deviceUpdate() {
        var cache = cache(devices: [
            DeviceResource(
                id: "AbC", userState: UserState(state: "NotReady"), doNotDisturb: false, phoneNumber: "5001",
                capabilities: ["DoNotDisturbOn"])
        ])
        let changed = cache.apply(
            .devices([
                DeviceResource(id: "abc", deviceState: nil, userState: UserState(state: "Ready"), doNotDisturb: nil)
            ]))
        #expect(changed)
        #expect(cache.devices.count == 1)
        #expect(cache.devices[0].userState?.state == "Ready")
        #expect(cache.devices[0].doNotDisturb == false)
        #expect(cache.devices[0].phoneNumber == "5001")
        #expect(cache.devices[0].capabilities == ["DoNotDisturbOn"])
        #expect(
            cache.apply(
                .devices([
                    DeviceResource(id: "ABC", deviceState: nil, userState: UserState(state: "Ready"), doNotDisturb: nil)
                ])) == false)
    }

    @Test("A device without an id matches by phone number, or the only device")
    func deviceWithoutID() {
        var one = cache(devices: [device("d1", "NotReady")])
        one.apply(.devices([device(nil, "Ready")]))
        #expect(one.devices.map(\.userState?.state) == ["Ready"])
        var two = cache(devices: [device("d1", "NotReady", phone: "1"), device("d2", "NotReady", phone: "2")])
        two.apply(.devices([device(nil, "Ready", phone: "2")]))
        #expect(two.devices.map(\.userState?.state) == ["NotReady", "Ready"])
        two.apply(.devices([device(nil, "LoggedOut")]))
        #expect(two.devices.count == 3)
    }

    @Test("Channels update by name; a nameless entry applies to every channel; new ones are added")
    func channels() {
        var cache = cache(channels: [channel("voice", "NotReady"), channel("chat", "Ready")])
        cache.apply(.channels([channel("chat", "NotReady", dnd: nil)]))
        #expect(cache.channels.map(\.userState?.state) == ["NotReady", "NotReady"])
        #expect(cache.channels.map(\.dnd) == [false, false])
        cache.apply(.channels([channel(nil, nil, dnd: true)]))
        #expect(cache.channels.map(\.dnd) == [true, true])
        cache.apply(.channels([channel("email", "Ready")]))
        #expect(cache.channels.map(\.name) == ["voice", "chat", "email"])
    }

    @Test("Errors and ignored notifications change nothing")
    func nonChanges() {
        var cache = cache(devices: [device("d1", "Ready")])
        #expect(cache.apply(.error(GWSErrorReport(message: "x", code: nil, messageType: nil))) == false)
        #expect(cache.apply(.ignored("x")) == false)
    }

    @Test("A snapshot replaces everything")
    func replace() {
        var cache = cache(devices: [device("d1", "Ready")], channels: [channel("chat", "Ready")])
        cache.replace(with: UserSnapshot(username: nil, devices: [device("d2", "NotReady")], channels: []))
        #expect(cache.devices.map(\.id) == ["d2"])
        #expect(cache.channels.isEmpty)
    }

    @Test("The agent state is the common state, Mixed when they differ, Unknown when nothing is known")
    func summaryState() {
        #expect(
            AgentSummary(cache(devices: [device("d", "Ready")], channels: [channel("voice", "Ready")])).state == "Ready"
        )
        #expect(
            AgentSummary(cache(devices: [device("d", "Ready")], channels: [channel("chat", "NotReady")])).state
                == "Mixed")
        #expect(AgentSummary(cache()).state == "Unknown")
        #expect(AgentSummary(cache(devices: [device("d", nil)])).state == "Unknown")
        #expect(
            AgentSummary(cache(devices: [device("d", "LoggedIn")], channels: [channel("c", nil)])).state == "LoggedIn")
    }

    @Test("Work mode is reported only when everything agrees")
    func summaryWorkMode() {
        let acw = cache(
            devices: [device("d", "NotReady", workMode: "AfterCallWork")],
            channels: [channel("voice", "NotReady", workMode: "AfterCallWork")])
        #expect(AgentSummary(acw) == AgentSummary(state: "NotReady", workMode: "AfterCallWork", dnd: false))
        let split = cache(
            devices: [device("d", "NotReady", workMode: "AfterCallWork")], channels: [channel("chat", "NotReady")])
        #expect(AgentSummary(split) == AgentSummary(state: "NotReady", workMode: nil, dnd: false))
    }

    @Test("DND: on when any is on, off when all are known off, unknown otherwise")
    func summaryDND() {
        #expect(
            AgentSummary(
                cache(devices: [device("d", "Ready", dnd: false)], channels: [channel("c", "Ready", dnd: true)])
            ).dnd == true)
        #expect(
            AgentSummary(
                cache(devices: [device("d", "Ready", dnd: false)], channels: [channel("c", "Ready", dnd: false)])
            ).dnd == false)
        #expect(
            AgentSummary(
                cache(devices: [device("d", "Ready", dnd: false)], channels: [channel("c", "Ready", dnd: nil)])
            ).dnd == nil)
        #expect(AgentSummary(cache()).dnd == nil)
    }
}

/// A server cannot grow the picture without bound.
@Suite("Agent cache caps")
struct AgentCacheCapTests {
    @Test("Past the cap, new devices and channels are ignored and counted; known ones still update")
    func capped() {
        var cache = AgentCache()
        let channels = (0..<(AgentCache.maximumEntries + 10)).map {
            ChannelResource(name: "c\($0)", userState: UserState(state: "Ready"), dnd: false)
        }
        cache.apply(.channels(channels))
        #expect(cache.channels.count == AgentCache.maximumEntries)
        #expect(cache.ignoredEntries == 10)
        cache.apply(.channels([ChannelResource(name: "c0", userState: UserState(state: "NotReady"), dnd: nil)]))
        #expect(cache.channels.first?.userState?.state == "NotReady")
        let devices = (0..<(AgentCache.maximumEntries + 1)).map {
            DeviceResource(id: "d\($0)", userState: nil, doNotDisturb: nil)
        }
        cache.apply(.devices(devices))
        #expect(cache.devices.count == AgentCache.maximumEntries)
        #expect(cache.ignoredEntries == 11)
    }
}
