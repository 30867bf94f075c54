import Foundation
import Glibc
import TestSupport
import Testing

@testable import AgentDaemon

@Suite("Atomic writer: the kept directory and fsync")
struct AtomicFileWriterTests {
    @Test("A directory removed and made again is opened again: the next write lands in the new one")
    func directoryMadeAgain() throws {
        let dir = try TemporaryDirectory()
        let parent = dir.path + "/run"
        #expect(mkdir(parent, 0o755) == 0)
        var writer = AtomicFileWriter(path: parent + "/state.json")
        try writer.write(Array("one\n".utf8))
        try FileManager.default.removeItem(atPath: parent)
        #expect(mkdir(parent, 0o755) == 0)
        try writer.write(Array("two\n".utf8))
        #expect(dir.read("run/state.json") == "two\n")
    }

    @Test("A directory moved away is not written into: the write goes where the path now leads")
    func directoryMovedAway() throws {
        let dir = try TemporaryDirectory()
        let parent = dir.path + "/run"
        #expect(mkdir(parent, 0o755) == 0)
        var writer = AtomicFileWriter(path: parent + "/state.json")
        try writer.write(Array("one\n".utf8))
        #expect(rename(parent, dir.path + "/old") == 0)
        #expect(throws: FileSystemError.self) { try writer.write(Array("lost?\n".utf8)) }
        #expect(dir.read("old/state.json") == "one\n")
        #expect(mkdir(parent, 0o755) == 0)
        try writer.write(Array("two\n".utf8))
        #expect(dir.read("run/state.json") == "two\n")
        #expect(dir.read("old/state.json") == "one\n")
    }

    @Test("On tmpfs no fsync is made; on a disk the file and its directory are synced at each write")
    func fsyncOnlyWhereItMatters() throws {
        let memory = try TemporaryDirectory(memory: true)
        try #require(memory.path.hasPrefix("/dev/shm/"), "this machine has no /dev/shm")
        let onTmpfs = FaultyFileSystem()
        var writer = AtomicFileWriter(path: memory.path + "/state.json", fileSystem: onTmpfs)
        try writer.write(Array("one\n".utf8))
        try writer.write(Array("two\n".utf8))
        #expect(onTmpfs.syncs == 0)
        #expect(memory.read("state.json") == "two\n")

        let onDisk = FaultyFileSystem(everyDirectoryOnDisk: true)
        var synced = AtomicFileWriter(path: memory.path + "/synced.json", fileSystem: onDisk)
        try synced.write(Array("one\n".utf8))
        try synced.write(Array("two\n".utf8))
        #expect(onDisk.syncs == 4)
    }

    @Test("tmpfs is known as memory only; another file system is not")
    func memoryFileSystems() throws {
        let fileSystem = POSIXFileSystem()
        let memory = try TemporaryDirectory(memory: true)
        try #require(memory.path.hasPrefix("/dev/shm/"), "this machine has no /dev/shm")
        let shm = try fileSystem.openDirectory(memory.path)
        defer { fileSystem.close(shm) }
        #expect(!fileSystem.syncMatters(inDirectory: shm))
        // procfs: not tmpfs or ramfs, whatever the machine's disks are.
        let proc = try fileSystem.openDirectory("/proc")
        defer { fileSystem.close(proc) }
        #expect(fileSystem.syncMatters(inDirectory: proc))
    }
}
