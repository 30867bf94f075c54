import AgentState
import BayeuxClient
import BayeuxCore
import GWS
import Locking
import Logging
import Systemd

extension SessionLoop {
    /// Performs the coordinator's actions in order, except that log records are appended to
    /// `records` for the caller to write later; returns the outcome when one ends the session.
    func perform(_ actions: [CoordinatorAction], deferringLogsTo records: inout [CoordinatorLog]) -> SessionOutcome? {
        for action in actions {
            switch action {
            case .fetchSnapshot(let token):
                let rest = connection.rest
                let sink = session.sink
                tasks.add {
                    let result: Result<UserSnapshot, RESTError>
                    do throws(RESTError) {
                        result = .success(try await rest.fetchSnapshot())
                    } catch {
                        result = .failure(error)
                    }
                    if Task.isCancelled { return }
                    sink.yield(.coordinator(.snapshotFetched(token: token, SnapshotOutcome(result))))
                }
            case .startBayeux(let generation):
                startBayeux(generation)
            case .stopBayeux(let generation):
                if let client, client.generation == generation { client.client.disconnect() }
            case .postOperation(let name):
                let rest = connection.rest
                let sink = session.sink
                tasks.add {
                    var failure: String?
                    do throws(RESTError) {
                        switch try await rest.perform(AgentOperation(name: name)) {
                        case .accepted: failure = nil
                        case .partiallyAccepted(let message): failure = "partly accepted: \(message ?? "no detail")"
                        case .rejected(let code, let message):
                            failure = GWSReplyError.status(code: code, message: message).description
                        }
                    } catch {
                        failure = error.description
                    }
                    sink.yield(.coordinator(.operationFinished(name: name, error: failure)))
                }
            case .startTimer(let id, let delay):
                let sink = session.sink
                tasks.add {
                    try? await Task.sleep(for: delay)
                    if !Task.isCancelled { sink.yield(.coordinator(.timerFired(id))) }
                }
            case .log(let record):
                records.append(record)
            case .exit(let reason):
                return .fatal(reason)
            case .finished:
                return .stopped
            }
        }
        return nil
    }

    /// Starts a Bayeux client whose events reach the coordinator tagged with `generation`.
    func startBayeux(_ generation: Int) {
        retireClient()
        let rest = connection.rest
        let server = configuration.server
        let sink = session.sink
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: server.notificationsURL,
                session: SessionConfiguration(maxNetworkDelay: server.maxNetworkDelay),
                subscriptions: configuration.channels,
                headers: { rest.bayeuxHeaders }),
            http: connection.http, clock: ContinuousClock(), logger: logger,
            seed: session.environment.seed &+ UInt64(generation),
            onEvent: { event in
                // Straight into the session's inbox: no forwarding task between the two.
                if let input = BayeuxInput(event) { sink.yield(.coordinator(.bayeux(generation: generation, input))) }
            })
        self.client = (generation, client)
        session.currentClient.withLock { $0 = client }
        tasks.add {
            let reason = await client.run()
            sink.yield(.coordinator(.bayeux(generation: generation, .ended(reason))))
        }
    }

    /// Forgets the current client, keeping its counters for the metrics.
    func retireClient() {
        if let client { pastCounters = pastCounters.adding(client.client.snapshot.counters) }
        client = nil
        session.currentClient.withLock { $0 = nil }
    }

    func log(_ record: CoordinatorLog) {
        let level: Logger.Level
        switch record.level {
        case .debug: level = .debug
        case .info: level = .info
        case .notice: level = .notice
        case .warning: level = .warning
        case .error: level = .error
        }
        logger.log(level: level, "\(record.message)", metadata: record.metadata.mapValues { .string($0) })
    }

    /// Handles what a publisher call did: schedule the coalesced write, report failures.
    func apply(_ outcome: StatePublisher.Outcome) {
        switch outcome {
        case .idle:
            break
        case .wrote:
            if lastReportedFileError != nil {
                logger.notice("state file written again", metadata: ["state.file": "\(publisher.writer.path)"])
                lastReportedFileError = nil
            }
        case .scheduled(let due):
            guard flushTask == nil else { return }
            let sink = session.sink
            flushTask = Task {
                try? await Task.sleep(until: due, clock: .continuous)
                if !Task.isCancelled { sink.yield(.flushDue) }
            }
        case .failed(let error):
            report(fileError: error)
        }
    }

    /// Logs a state-file failure once per distinct error (not once per attempt).
    func report(fileError: FileSystemError) {
        guard fileError != lastReportedFileError else { return }
        lastReportedFileError = fileError
        logger.error(
            "cannot write the state file; will retry",
            metadata: ["state.file": "\(publisher.writer.path)", "error": "\(fileError)"])
    }

    /// Sends `STATUS=` when the line changed.
    func updateStatus() {
        var line = coordinator.model.statusLine
        if let failure = publisher.failure { line += "; state file not written: \(failure)" }
        guard line != lastStatus else { return }
        lastStatus = line
        session.environment.notifier.send(["STATUS": line])
    }
}
