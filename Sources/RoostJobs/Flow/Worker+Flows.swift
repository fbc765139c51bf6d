extension Worker {
    /// Relays the queue's flow work (children's finishes to their parents, interrupted flow
    /// adds) until cancelled, claiming entries for the lease time (a relay that dies leaves
    /// them to another that long); retries after errors.
    func relayFlows() async {
        while !Task.isCancelled {
            do {
                try await queue.relayFlows(claimFor: configuration.leaseTime)
            } catch {
                if Task.isCancelled { return }
                logger.warning("relaying flow work failed; trying again", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
