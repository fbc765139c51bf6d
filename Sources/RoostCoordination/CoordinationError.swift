/// An error from a coordination primitive: a timeout, a lost lease, or a reply the primitive
/// did not expect. Connection and server errors from RoostClient pass through unchanged.
public struct CoordinationError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case timedOut
        case leaseLost(LeaseLossReason)
        case notHeld
        case unexpectedReply(String)
        case invalidArgument(String)
        case staleToken(presented: Int64, highest: Int64)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// Waiting for a lock, a permit or leadership took longer than the caller allowed.
    public static let timedOut = CoordinationError(.timedOut)
    /// The lease ended before the holder released it; the reason says how.
    public static func leaseLost(_ reason: LeaseLossReason) -> CoordinationError { CoordinationError(.leaseLost(reason)) }
    /// A release or renewal named a lease the server no longer holds for this owner.
    public static let notHeld = CoordinationError(.notHeld)
    /// A script answered in a shape the primitive does not know (a different script under the
    /// same keys, or a server that is not Redis-compatible).
    public static func unexpectedReply(_ detail: String) -> CoordinationError { CoordinationError(.unexpectedReply(detail)) }
    /// An argument outside what the primitive accepts (a zero lease, an empty name).
    public static func invalidArgument(_ detail: String) -> CoordinationError { CoordinationError(.invalidArgument(detail)) }

    /// A fenced write presented a token below the highest one the resource has seen: its
    /// writer's lease ended and a later holder has written since.
    public static func staleToken(presented: Int64, highest: Int64) -> CoordinationError {
        CoordinationError(.staleToken(presented: presented, highest: highest))
    }

    /// Whether this is a `staleToken` refusal.
    public var isStaleToken: Bool {
        if case .staleToken = code { return true }
        return false
    }

    /// The loss reason when this is `leaseLost`, else nil.
    public var leaseLossReason: LeaseLossReason? {
        if case .leaseLost(let reason) = code { return reason }
        return nil
    }

    public var description: String {
        switch code {
        case .timedOut: return "timed out"
        case .leaseLost(let reason): return "lease lost: \(reason)"
        case .notHeld: return "not held by this owner"
        case .unexpectedReply(let detail): return "unexpected reply: \(detail)"
        case .invalidArgument(let detail): return "invalid argument: \(detail)"
        case .staleToken(let presented, let highest): return "stale fencing token \(presented): the resource has seen \(highest)"
        }
    }
}

/// Why a lease ended before its holder released it.
public enum LeaseLossReason: Hashable, Sendable, CustomStringConvertible {
    /// The server no longer had the lease for this owner when it was renewed: it expired (the
    /// holder paused or lost its connection for longer than the lease) and possibly went to
    /// another owner.
    case expired
    /// Renewals failed (connection errors) until the lease's time ran out on the holder's clock.
    case renewalFailed(String)

    public var description: String {
        switch self {
        case .expired: return "expired on the server"
        case .renewalFailed(let error): return "renewal failed until the lease ran out (\(error))"
        }
    }
}
