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
@main
enum Main {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        _ = gws_install_serial_global_executor()
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
}
