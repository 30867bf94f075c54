import FileWatch
import Foundation
import Testing

@Suite("The inotify watcher")
struct InotifyTests {
    @Test("inotify reports a rename into a watched directory with the entry's name")
    func inotifyRename() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filewatch-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inotify = try #require(Inotify())
        #expect(inotify.add(directory, mask: UInt32(IN_MOVED_TO)) >= 0)
        #expect(inotify.read(timeout: 0) == [])
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/state.json.tmp"))
        #expect(rename(directory + "/state.json.tmp", directory + "/state.json") == 0)
        let events = try #require(inotify.read(timeout: 5000))
        #expect(events.map(\.name) == ["state.json"])
        #expect(events.allSatisfy { $0.mask & UInt32(IN_MOVED_TO) != 0 })
        #expect(inotify.add(directory + "/missing", mask: UInt32(IN_CREATE)) < 0)
    }
}
