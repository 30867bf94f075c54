#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value that threads share, behind a pthread mutex: the project's `Mutex`.
///
/// Not `Synchronization.Mutex`, because of ThreadSanitizer: on Linux a contended `Mutex`
/// waits in a priority-inheritance futex inside the Swift runtime, which ThreadSanitizer
/// does not see, so `make test-sanitize` reported races between two threads that both held
/// the lock (the libcurl loop's inbox, the simulator's counters). ThreadSanitizer
/// understands pthread mutexes, so a report is a real race again. The API is `Mutex`'s.
///
/// Ownership rule (why this is `@unchecked Sendable`): `value` is read and written only
/// inside `withLock`, with `mutex` held; the mutex lives at a fixed heap address from
/// `init` to `deinit`.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    public init(_ initial: sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        value = .allocate(capacity: 1)
        value.initialize(to: initial)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
