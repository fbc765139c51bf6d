import Testing

/// The test waited for a condition that did not come in time.
public struct ConditionTimedOut: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Waits until `condition` holds, checking again every few milliseconds, for up to `timeout`;
/// records an issue and throws `ConditionTimedOut` if it never does. The way tests wait for a
/// state (never a fixed sleep).
public func eventually(timeout: Duration = .seconds(20), _ what: String = "condition",
                       sourceLocation: SourceLocation = #_sourceLocation,
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            throw ConditionTimedOut(what: what)
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
