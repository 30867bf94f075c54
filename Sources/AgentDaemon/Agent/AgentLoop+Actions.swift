import AgentState
import BayeuxClient
import BayeuxCore
import GWS
import HTTPTransport
import Locking
import Logging
import Placement
import Systemd
import Timekeeping

extension AgentLoop {
    /// Performs the coordinator's actions in order, except that log records are appended to
    /// `records` for the caller to write later; returns the outcome when one ends the session.
    func perform(_ actions: [CoordinatorAction], deferringLogsTo records: inout [CoordinatorLog]) -> AgentOutcome? {
        for action in actions {
            switch action {
            case .logIn(let token, let node):
                logIn(token: token, node: node)
            case .fetchSnapshot(let token):
                fetchSnapshot(token: token)
            case .rereadPassword(let token):
                rereadPassword(token: token)
            case .startBayeux(let generation):
                startBayeux(generation)
            case .stopBayeux(let generation):
                if let client, client.generation == generation { client.client.disconnect() }
            case .abandonBayeux(let generation):
                if let client, client.generation == generation {
                    client.run.cancel()
                    retireClient()
                }
            case .postOperation(let name):
                postOperation(name)
            case .startTimer(let id, let delay):
                let sink = runner.sink
                let clock = self.clock
                // The deadline is taken now, not when the task first runs.
                let deadline = clock.now + delay
                tasks.add {
                    try? await clock.sleep(until: deadline)
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

    /// A login is a fresh HTTP session: the previous one (its cookies, its CSRF token, the
    /// password it was opened with) is of no more use, so its client is shut down.
    func logIn(token: UInt64, node: Int) {
        connection?.http.shutdown()
        connection = openConnection(node: node)
        guard connection != nil else {
            let outcome = SnapshotOutcome.failed("libcurl could not allocate its handles")
            runner.sink.yield(.coordinator(.snapshotFetched(token: token, outcome)))
            return
        }
        fetchSnapshot(token: token, paced: true)
    }

    /// GETs the snapshot in the current HTTP session; a login (`paced`) waits for the
    /// daemon's login pacer first, when it has one. A resync (not a login, which a resync
    /// always follows) also reads the calls when they are followed.
    func fetchSnapshot(token: UInt64, paced: Bool = false) {
        let pacer = paced ? runner.environment.loginPacer : nil
        let sink = runner.sink
        guard let rest = connection?.rest else {
            sink.yield(.coordinator(.snapshotFetched(token: token, .failed("no HTTP session"))))
            return
        }
        let calls = !paced && coordinator.settings.tracksCalls
        tasks.add {
            if let pacer, !(await pacer.acquire()) { return }
            defer { pacer?.release() }
            let result: Result<UserSnapshot, RESTError>
            do throws(RESTError) {
                result = .success(try await rest.fetchSnapshot(calls: calls))
            } catch {
                result = .failure(error)
            }
            if Task.isCancelled { return }
            sink.yield(.coordinator(.snapshotFetched(token: token, SnapshotOutcome(result))))
        }
    }

    /// Reads the password again from its source after GWS refused it; the next login uses
    /// the new one when it changed.
    func rereadPassword(token: UInt64) {
        let current = configuration.password
        let check: PasswordCheck
        do {
            let fresh = try PasswordSource(environment: [:]).reread(current)
            if fresh.secret != current.secret {
                configuration.password = fresh
                check = .changed
            } else {
                check = .unchanged
            }
        } catch {
            check = .unreadable(error.description)
        }
        runner.sink.yield(.coordinator(.passwordReread(token: token, check)))
    }

    func postOperation(_ name: String) {
        let sink = runner.sink
        guard let rest = connection?.rest else {
            sink.yield(.coordinator(.operationFinished(name: name, error: "no HTTP session")))
            return
        }
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
    }

    /// Starts a Bayeux client in the current HTTP session whose events reach the
    /// coordinator tagged with `generation`.
    func startBayeux(_ generation: Int) {
        retireClient()
        guard let connection else { return }
        let rest = connection.rest
        let server = configuration.server
        let sink = runner.sink
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: connection.url + "/api/v2/notifications",
                session: server.bayeuxSession,
                subscriptions: configuration.channels,
                headers: { rest.bayeuxHeaders }),
            http: connection.http, clock: clock, logger: logger,
            seed: runner.environment.seed &+ UInt64(generation),
            onEvent: { event in
                // Straight into the session's inbox: no forwarding task between the two.
                if let input = BayeuxInput(event) { sink.yield(.coordinator(.bayeux(generation: generation, input))) }
            })
        let run = TaskPlacement.task {
            let reason = await client.run()
            sink.yield(.coordinator(.bayeux(generation: generation, .ended(reason))))
        }
        self.client = RunningClient(generation: generation, client: client, run: run)
        runner.currentClient.withLock { $0 = client }
    }

    /// The client of `generation` returned from `run()`: the watchdog stops judging it.
    func clientEnded(_ generation: Int) {
        if client?.generation == generation { retireClient() }
    }

    /// Forgets the current client, keeping its counters for the metrics.
    func retireClient() {
        if let client { pastCounters = pastCounters.adding(client.client.snapshot.counters) }
        client = nil
        runner.currentClient.withLock { $0 = nil }
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
            let sink = runner.sink
            let clock = self.clock
            flushTask = TaskPlacement.task {
                try? await clock.sleep(until: due, tolerance: nil)
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

    /// Reports the agent's status line when it changed (the daemon's `STATUS=` is made of them).
    func updateStatus() {
        var line = coordinator.model.statusLine
        if let failure = publisher.failure { line += "; state file not written: \(failure)" }
        let synced = coordinator.model.synced
        guard line != lastStatus || synced != lastSynced else { return }
        lastStatus = line
        // The daemon-wide metrics count synced agents from these snapshots: take one when
        // that changes too, not only at the heartbeat (rare: a sync or its loss).
        if synced != lastSynced, coordinator.model.connection != .stopped, !coordinator.isStopping { writeMetrics() }
        lastSynced = synced
        runner.environment.onStatus(line, synced)
    }
}
