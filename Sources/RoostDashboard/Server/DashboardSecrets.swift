/// The per-process secrets of a dashboard: the CSRF token its forms carry, and the session
/// value its login cookie holds. Both are 128 random bits, new in every process, so a restart
/// signs everyone out and makes open forms stale.
struct DashboardSecrets: Sendable {
    /// The value every action form sends as `_csrf`.
    let csrfToken = Self.random()
    /// The value of the login cookie.
    let session = Self.random()

    /// 32 random hex digits.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let digits = String(generator.next() as UInt32, radix: 16)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }.joined()
    }

    /// Whether `a` equals `b`, in a time that does not depend on where they first differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
