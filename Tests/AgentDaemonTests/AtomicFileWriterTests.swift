import Foundation
import Glibc
import TestSupport
import Testing

@testable import AgentDaemon

@Suite("Atomic writer: fsync where it matters, files by path")
struct AtomicFileWriterTests {
    @Test("A directory removed and made again, or moved away, is written where the path leads")
    func directoryReplaced() throws {
        let dir = try TemporaryDirectory(memory: true)
        let parent = dir.path + "/run"
        #expect(mkdir(parent, 0o755) == 0)
        let writer = AtomicFileWriter(path: parent + "/state.json")
        try writer.write(Array("one\n".utf8))
        try FileManager.default.removeItem(atPath: parent)
        #expect(mkdir(parent, 0o755) == 0)
        try writer.write(Array("two\n".utf8))
        #expect(dir.read("run/state.json") == "two\n")
        #expect(rename(parent, dir.path + "/old") == 0)
        #expect(throws: FileSystemError.self) { try writer.write(Array("nowhere\n".utf8)) }
        #expect(mkdir(parent, 0o755) == 0)
        try writer.write(Array("three\n".utf8))
        #expect(dir.read("run/state.json") == "three\n")
        #expect(dir.read("old/state.json") == "two\n")
    }

    @Test("On tmpfs no fsync is made; on a disk the file and its directory are synced at each write")
    func fsyncOnlyWhereItMatters() throws {
        let memory = try TemporaryDirectory(memory: true)
        try #require(memory.path.hasPrefix("/dev/shm/"), "this machine has no /dev/shm")
        let onTmpfs = FaultyFileSystem()
        let writer = AtomicFileWriter(path: memory.path + "/state.json", fileSystem: onTmpfs)
        try writer.write(Array("one\n".utf8))
        try writer.write(Array("two\n".utf8))
        #expect(onTmpfs.syncs == 0)
        #expect(memory.read("state.json") == "two\n")

        let onDisk = FaultyFileSystem(everyFileOnDisk: true)
        let synced = AtomicFileWriter(path: memory.path + "/synced.json", fileSystem: onDisk)
        try synced.write(Array("one\n".utf8))
        try synced.write(Array("two\n".utf8))
        #expect(onDisk.syncs == 4)
        #expect(memory.read("synced.json") == "two\n")
    }

    @Test("A file on tmpfs is known as memory only; one on another file system is not")
    func memoryFileSystems() throws {
        let fileSystem = POSIXFileSystem()
        let memory = try TemporaryDirectory(memory: true)
        try #require(memory.path.hasPrefix("/dev/shm/"), "this machine has no /dev/shm")
        let shm = try fileSystem.createExclusive(memory.path + "/probe", mode: 0o600)
        defer { fileSystem.close(shm) }
        #expect(!fileSystem.syncMatters(shm))
        // procfs: not tmpfs or ramfs, whatever the machine's disks are.
        let proc = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        try #require(proc >= 0)
        defer { fileSystem.close(proc) }
        #expect(fileSystem.syncMatters(proc))
    }
}
