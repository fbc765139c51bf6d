extension Worker {
    /// Relays the flow work of `lane`'s partition (children's finishes to their parents,
    /// interrupted flow adds) until cancelled, claiming entries for the lease time (a relay that
    /// dies leaves them to another that long); retries after errors. A worker runs one per
    /// partition.
    func relayFlows(on lane: WorkerLane) async {
        while !Task.isCancelled {
            do {
                try await lane.queue.relayFlows(claimFor: configuration.leaseTime)
            } catch {
                if Task.isCancelled { return }
                logger.warning("relaying flow work failed; trying again",
                               metadata: ["queue": "\(queue.name)", "partition": "\(lane.index)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
