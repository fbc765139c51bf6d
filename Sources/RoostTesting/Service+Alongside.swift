import Logging
import ServiceLifecycle

extension Service where Self: Sendable {
    /// Runs `body` while `run()` goes alongside in a child task; cancels `run()` when `body`
    /// returns or throws, and waits for it to end.
    package func runningAlongside<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Self) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { try await self.run() }
            do {
                let result = try await body(self)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

extension Logger {
    /// The clients the helpers create log warnings and errors only.
    static var testing: Logger {
        var logger = Logger(label: "roost.testing")
        logger.logLevel = .warning
        return logger
    }
}
