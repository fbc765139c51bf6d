/// Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH.
enum TransactionCommands {
    static let specs: [CommandSpec] = []

    /// Drops every watch of a client.
    static func unwatchAll(engine: Engine, client: Client) {}
}
