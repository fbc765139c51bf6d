import RoostClient

extension JobQueue {
    /// A queue's switches and limits as `pause()`, `resume()` and `setLimits` left them.
    public struct Settings: Sendable, Hashable {
        /// A rate limit: at most `count` attempts started per `per`.
        public struct Rate: Sendable, Hashable {
            public var count: Int
            public var per: Duration

            public init(count: Int, per: Duration) {
                self.count = count
                self.per = per
            }
        }

        /// Whether workers are stopped from taking jobs.
        public var isPaused: Bool
        /// The most attempts running at once across all workers, if limited.
        public var concurrency: Int?
        /// The queue's rate limit, if any.
        public var rate: Rate?

        public init(isPaused: Bool = false, concurrency: Int? = nil, rate: Rate? = nil) {
            self.isPaused = isPaused
            self.concurrency = concurrency
            self.rate = rate
        }
    }

    /// The queue's settings, read from its meta hash.
    /// - Throws: client errors.
    public func settings() async throws -> Settings {
        if spansPartitions { return try await settingsAcrossPartitions() }
        let fields = try await client.execute(RedisCommand("HGETALL", [keys.meta]), timeout: nil).jobFields
        func int(_ field: String) -> Int? { fields[field].flatMap { Int(String(decoding: $0, as: UTF8.self)) } }
        var settings = Settings(isPaused: int("paused") == 1, concurrency: int("concurrency"))
        if let count = int("rateMax"), let window = int("rateWindow") {
            settings.rate = Settings.Rate(count: count, per: .milliseconds(window))
        }
        return settings
    }
}
