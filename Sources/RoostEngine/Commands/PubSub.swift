/// Publish/subscribe: SUBSCRIBE, PSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH and PUBSUB.
enum PubSubCommands {
    static let specs: [CommandSpec] = []

    /// Drops every subscription of a client that went away.
    static func unsubscribeAll(engine: Engine, client: Client) {}
}
