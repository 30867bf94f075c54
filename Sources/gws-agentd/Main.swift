import ArgumentParser
import CSerialExecutor
import Dispatch
import Glibc

/// The process entry point: argument-parser's command, run as a task on the serial executor.
///
/// Not argument-parser's own async main, and not libdispatch's thread pool at all: the first
/// worker thread libdispatch starts wakes its manager thread, which tries to raise its own
/// priority (nice -4). Neither a sandboxed service nor an unprivileged operator may, and
/// libdispatch then writes "Failed to set thread priority" to syslog at every start of the
/// daemon and at every `gws-agentd reload`. The serial executor runs every task of the
/// process on one thread of ours and times their sleeps, so no command starts a libdispatch
/// thread (see docs/performance.md for what it does to the daemon).
///
/// The executor uses the Swift runtime's global-executor hooks and mirrors its job layout,
/// which are not public API. Two guards: the build refuses a toolchain other than the one
/// it was checked against (below), and at start a first task checks that it runs on the
/// executor's thread; if not, the process carries on with the default executor and says so.
#if !compiler(>=6.3) || compiler(>=6.4)
    #error(
        "CSerialExecutor mirrors the Swift 6.3 runtime's job layout and global-executor hooks: check it against this toolchain's runtime, then widen this range"
    )
#endif

@main
enum Main {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if gws_install_serial_global_executor() == 0 { checkExecutor() }
        let finished = DispatchSemaphore(value: 0)
        Task.detached(priority: .medium) {
            do {
                var command = try GWSAgentd.parseAsRoot(arguments)
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch {
                GWSAgentd.exit(withError: error)
            }
            finished.signal()
        }
        finished.wait()
        exit(EXIT_SUCCESS)
    }

    /// The start-up self-test: a task must run on the executor's thread within a second.
    /// A runtime that no longer calls the hooks runs it elsewhere; the process then works
    /// on the default executor (with libdispatch's threads), and stderr says so.
    static func checkExecutor() {
        let ran = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var onExecutor = false
        Task.detached {
            onExecutor = gws_serial_executor_is_current() != 0
            ran.signal()
        }
        let answered = ran.wait(timeout: .now() + 1) == .success
        if !answered || !onExecutor {
            let message =
                "gws-agentd: warning: the serial executor is not in use on this Swift runtime; "
                + "running on the default executor\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
        }
    }
}
