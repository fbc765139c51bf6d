import Foundation

extension JobContext {
    /// The job's children and how they finished (`JobFlow`), read when called; nil if the
    /// queue no longer has the job.
    /// - Throws: client errors.
    public func flow() async throws -> JobFlow? {
        try await queue.flow(of: id)
    }

    /// The results of the job's completed children of type `J`, by where they are. A parent
    /// runs once every child finished, so this holds every child of `J` that completed.
    /// - Throws: decoding errors, client errors.
    public func childrenResults<J: Job>(of type: J.Type) async throws -> [JobRef: J.Output] {
        var results: [JobRef: J.Output] = [:]
        let decoder = JSONDecoder()
        for child in try await flow()?.children ?? [] where child.name == J.name && child.state == .completed {
            results[child.job] = try decoder.decode(J.Output.self, from: Data(child.result ?? []))
        }
        return results
    }

    /// The errors of the job's children that failed for good, by where they are (children
    /// enqueued with `ChildFailurePolicy.ignore` let their parent run after failing).
    /// - Throws: client errors.
    public func childrenFailures() async throws -> [JobRef: String] {
        var failures: [JobRef: String] = [:]
        for child in try await flow()?.children ?? [] { if let error = child.error { failures[child.job] = error } }
        return failures
    }
}
