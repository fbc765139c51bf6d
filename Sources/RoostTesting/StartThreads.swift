import NIOPosix

/// The threads that starting child servers blocks while it waits for them, so that neither the
/// cooperative pool nor `NIOThreadPool.singleton` (one thread per core) is held for the seconds
/// a cluster takes to form.
enum StartThreads {
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    /// Runs `body` on one of the threads and returns its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
