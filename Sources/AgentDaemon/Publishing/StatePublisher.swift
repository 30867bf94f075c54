import AgentState

/// Writes the state file: only when its content changes, at most once per spacing window
/// during a burst (the final state always), with `seq` growing by one per write, and an
/// mtime heartbeat. A failed write (missing directory, full disk) is kept pending and
/// retried at the next change or heartbeat; the failure is reported, nothing is lost.
///
/// Owned by the daemon's session task; not shared.
final class StatePublisher {
    /// What a call did.
    enum Outcome: Equatable {
        /// Nothing to write (no change, or a write is already scheduled).
        case idle
        /// Written now.
        case wrote
        /// Call ``flush(model:now:)`` at this instant.
        case scheduled(ContinuousClock.Instant)
        /// The write failed; the content stays pending.
        case failed(FileSystemError)
    }

    private(set) var writer: AtomicFileWriter
    /// The members that do not come from GWS; `heartbeat_s` follows a reload.
    var header: StateHeader
    private var scheduler: WriteScheduler<ContinuousClock.Instant>
    /// The last document written successfully.
    private(set) var written: StateDocument?
    /// Which file holds it: the heartbeat rewrites a file that is no longer that one.
    private var writtenIdentity: FileIdentity?
    /// When the content not yet written last changed.
    private var pendingChangedAt: String?
    private var pendingContent: StateDocument?
    /// The write error currently in effect, if the last attempt failed.
    private(set) var failure: FileSystemError?
    /// The size of the last document encoded: the room the next one starts with (one
    /// allocation per write instead of one per doubling).
    private var encodedSize = 2048
    /// Successful writes, for metrics.
    private(set) var writes = 0
    private(set) var writeFailures = 0
    private(set) var lastWriteTime: Double?
    /// Called with each new document, and whether it was written (the control socket's view:
    /// a change GWS confirmed is announced even when the disk refuses the file).
    var onPublish: ((StateDocument, _ written: Bool) -> Void)?
    /// The content last announced through ``onPublish`` without being written, so that a
    /// retry of the same content is not announced twice.
    private var announced: StateDocument?

    init(writer: AtomicFileWriter, header: StateHeader, spacing: Duration = .milliseconds(10)) {
        self.writer = writer
        self.header = header
        scheduler = WriteScheduler(spacing: spacing)
    }

    /// The model may have changed: write now, schedule a write, or do nothing.
    func update(model: AgentModel, now: ContinuousClock.Instant) -> Outcome {
        let content = model.document(header: header, seq: 0, changedAt: "")
        if let written, content.hasSameContent(as: written), failure == nil {
            pendingContent = nil
            pendingChangedAt = nil
            return .idle
        }
        if pendingContent.map({ !content.hasSameContent(as: $0) }) ?? true {
            pendingContent = content
            pendingChangedAt = WallClock.timestamp()
        }
        switch scheduler.changed(at: now) {
        case .writeNow: return write(model: model, now: now)
        case .writeAt(let due): return .scheduled(due)
        case .alreadyScheduled: return .idle
        }
    }

    /// The scheduled write is due.
    func flush(model: AgentModel, now: ContinuousClock.Instant) -> Outcome {
        scheduler.timerFired()
        guard pendingContent != nil || failure != nil || written == nil else { return .idle }
        return write(model: model, now: now)
    }

    /// Writes whatever the model says now, regardless of spacing (start-up and shutdown).
    func writeNow(model: AgentModel, now: ContinuousClock.Instant) -> Outcome {
        let content = model.document(header: header, seq: 0, changedAt: "")
        if let written, content.hasSameContent(as: written), failure == nil { return .idle }
        if pendingChangedAt == nil { pendingChangedAt = WallClock.timestamp() }
        return write(model: model, now: now)
    }

    private func write(model: AgentModel, now: ContinuousClock.Instant) -> Outcome {
        let seq = (written?.seq ?? 0) + 1
        let document = model.document(
            header: header, seq: seq, changedAt: pendingChangedAt ?? written?.changedAt ?? WallClock.timestamp())
        do {
            let bytes = document.encoded(reservingCapacity: encodedSize + 256)
            encodedSize = bytes.count
            writtenIdentity = try writer.write(bytes)
        } catch {
            failure = error
            writeFailures += 1
            scheduler.failed()
            if announced.map({ !document.hasSameContent(as: $0) }) ?? true {
                announced = document
                onPublish?(document, false)
            }
            return .failed(error)
        }
        written = document
        pendingContent = nil
        pendingChangedAt = nil
        failure = nil
        writes += 1
        lastWriteTime = WallClock.now()
        scheduler.wrote(at: now)
        announced = nil
        onPublish?(document, true)
        return .wrote
    }

    /// The heartbeat: bump the mtime, or retry a pending write. A file that is not the one
    /// last written (another process wrote over it, or it went) is written again, not
    /// touched: a fresh mtime must never vouch for content this daemon did not write.
    func heartbeat(model: AgentModel, now: ContinuousClock.Instant) -> Outcome {
        if failure != nil || written == nil { return write(model: model, now: now) }
        if let writtenIdentity, writer.identity() != writtenIdentity { return write(model: model, now: now) }
        do {
            try writer.touch()
            return .idle
        } catch {
            // The file went away (deleted, directory recreated): write it again.
            return write(model: model, now: now)
        }
    }

    /// Publishes to a new path from now on; the old file is removed once the new one is written.
    func move(to path: String, model: AgentModel, now: ContinuousClock.Instant) -> Outcome {
        guard path != writer.path else { return .idle }
        let old = writer
        writer = AtomicFileWriter(path: path)
        written = nil
        let outcome = write(model: model, now: now)
        if outcome == .wrote { old.remove() }
        return outcome
    }
}
