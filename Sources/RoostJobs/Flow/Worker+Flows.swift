extension Worker {
    /// Relays the queue's flow work (children's finishes to their parents, interrupted flow
    /// adds) until cancelled; retries after errors.
    func relayFlows() async {
        while !Task.isCancelled {
            do {
                try await queue.relayFlows()
            } catch {
                if Task.isCancelled { return }
                logger.warning("relaying flow work failed; trying again", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
