import CSystemd
import Glibc

/// Reads journal entries back through `sd-journal(3)`: the entries whose `MESSAGE_ID` is
/// one of a given set, oldest first, from a start time to an end time.
///
/// Ownership: the `sd_journal` handle is opened in ``init(directory:)``, used only by
/// this instance, on the thread that calls it, and closed in `deinit`. The type is not
/// `Sendable`: sd-journal handles must not move between threads.
public final class JournalReader {
    private let journal: OpaquePointer

    /// One entry: when it was written, and the fields asked for (those present).
    public struct Entry: Sendable, Equatable {
        /// Microseconds since the epoch (`__REALTIME_TIMESTAMP`).
        public var realtime: UInt64
        public var fields: [String: String]

        public init(realtime: UInt64, fields: [String: String]) {
            self.realtime = realtime
            self.fields = fields
        }
    }

    /// Why the journal could not be read.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens the local system's journal (or the journal files in `directory`).
    public init(directory: String? = nil) throws(Failure) {
        var handle: OpaquePointer?
        let status: Int32
        if let directory {
            status = sd_journal_open_directory(&handle, directory, 0)
        } else {
            status = sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        }
        guard status >= 0, let handle else {
            throw Failure(description: "cannot open the journal: \(String(cString: strerror(-status)))")
        }
        journal = handle
    }

    deinit { sd_journal_close(journal) }

    /// The span the journal holds, in microseconds since the epoch; `nil` when empty.
    public var cutoff: (from: UInt64, to: UInt64)? {
        var from: UInt64 = 0
        var to: UInt64 = 0
        guard sd_journal_get_cutoff_realtime_usec(journal, &from, &to) > 0 else { return nil }
        return (from, to)
    }

    /// Calls `body` with each entry whose `MESSAGE_ID` is in `messageIDs`, from `since`
    /// to `until` (microseconds since the epoch), oldest first, with the values of
    /// `fields`. Stops early when `body` returns false.
    /// - Returns: how many entries were read.
    @discardableResult
    public func read(
        messageIDs: [String], fields: [String], since: UInt64, until: UInt64, _ body: (Entry) -> Bool
    ) throws(Failure) -> Int {
        sd_journal_flush_matches(journal)
        for id in messageIDs {
            let match = Array("MESSAGE_ID=\(id)".utf8)
            let status = match.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }
            guard status >= 0 else {
                throw Failure(description: "bad journal match: \(String(cString: strerror(-status)))")
            }
        }
        let seek = sd_journal_seek_realtime_usec(journal, since)
        guard seek >= 0 else {
            throw Failure(description: "cannot seek the journal: \(String(cString: strerror(-seek)))")
        }
        var count = 0
        while true {
            let step = sd_journal_next(journal)
            guard step >= 0 else {
                throw Failure(description: "cannot read the journal: \(String(cString: strerror(-step)))")
            }
            if step == 0 { break }
            var realtime: UInt64 = 0
            guard sd_journal_get_realtime_usec(journal, &realtime) >= 0 else { continue }
            if realtime < since { continue }
            if realtime > until { break }
            var values: [String: String] = [:]
            for field in fields {
                if let value = value(of: field) { values[field] = value }
            }
            count += 1
            if !body(Entry(realtime: realtime, fields: values)) { break }
        }
        return count
    }

    /// The value of `field` in the current entry, when present and text.
    private func value(of field: String) -> String? {
        var data: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(journal, field, &data, &length) >= 0, let data else { return nil }
        // The data is "FIELD=value".
        let prefix = field.utf8.count + 1
        guard length >= prefix else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data + prefix, count: length - prefix)
        return String(decoding: bytes, as: UTF8.self)
    }
}
