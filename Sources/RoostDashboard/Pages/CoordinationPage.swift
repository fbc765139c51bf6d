import RoostCoordination

extension Dashboard {
    /// `/coordination`: the locks, read-write locks, semaphores and elections that are held or
    /// waited for, with owners, lease left, fencing tokens and waiters; the script re-reads the
    /// sections from `/coordination/live` every second and counts leases down in between.
    func coordinationPage(_ snapshot: CoordinationSnapshot) -> HTML {
        page("Coordination", """
            <h1>Coordination</h1>
            <div id="coordination-live" data-live-fragment="\(link("/coordination/live"))" data-testid="coordination">
            \(coordinationSections(snapshot))
            </div>
            """)
    }

    /// The page's sections alone (what `/coordination/live` returns).
    func coordinationSections(_ snapshot: CoordinationSnapshot) -> HTML {
        let locks = snapshot.locks.map { lock -> HTML in
            let fair: HTML = lock.fair ? " <span class=\"badge\">fair</span>" : ""
            return """
            <tr data-testid="lock-row" data-name="\(lock.name)"><td>\(lock.name)\(fair)</td>\
            \(Self.holderCells(lock.holder, lastToken: lock.lastToken))\
            <td>\(Self.waiterList(lock.waiters, arrival: lock.fair))</td></tr>
            """
        }
        let readWriteLocks = snapshot.readWriteLocks.map { lock -> HTML in
            """
            <tr data-testid="rwlock-row" data-name="\(lock.name)"><td>\(lock.name)</td>\
            \(Self.holderCells(lock.writer, lastToken: lock.lastToken))\
            <td>\(Self.holderList(lock.readers))</td><td>\(Self.waiterList(lock.writersWaiting, arrival: false))</td></tr>
            """
        }
        let semaphores = snapshot.semaphores.map { semaphore -> HTML in
            """
            <tr data-testid="semaphore-row" data-name="\(semaphore.name)"><td>\(semaphore.name)</td>\
            <td data-testid="permits-used">\(semaphore.permitsUsed)</td><td>\(Self.holderList(semaphore.holders))</td>\
            <td>\(Self.waiterList(semaphore.waiters, arrival: false))</td></tr>
            """
        }
        let elections = snapshot.elections.map { election -> HTML in
            """
            <tr data-testid="election-row" data-name="\(election.name)"><td>\(election.name)</td>\
            <td data-testid="leader">\(election.leaderIdentity ?? "none")</td>\
            \(Self.holderCells(election.leader, lastToken: election.lastTerm, owner: false))\
            <td>\(Self.waiterList(election.candidates, arrival: false))</td></tr>
            """
        }
        let latchRows = snapshot.latches.map { latch -> HTML in
            "<tr data-testid=\"latch-row\"><td>\(latch.name)</td><td>\(String(latch.remaining))</td></tr>"
        }
        let barrierRows = snapshot.barriers.map { barrier -> HTML in
            "<tr data-testid=\"barrier-row\"><td>\(barrier.name)</td><td>\(String(barrier.arrived))</td><td>\(String(barrier.generation))</td></tr>"
        }
        let latches: HTML = latchRows.isEmpty ? "" : "<section><h2>Latches</h2>\(Self.table(["name", "count-downs left"], latchRows, empty: ""))</section>"
        let barriers: HTML = barrierRows.isEmpty ? ""
            : "<section><h2>Barriers</h2>\(Self.table(["name", "arrived", "round"], barrierRows, empty: ""))</section>"
        return """
            <section data-testid="locks"><h2>Locks</h2>\
            \(Self.table(["name", "owner", "lease left", "fencing token", "waiters"], locks, empty: "No lock is held or waited for."))</section>
            <section data-testid="rwlocks"><h2>Read-write locks</h2>\
            \(Self.table(["name", "writer", "lease left", "fencing token", "readers", "writers waiting"], readWriteLocks,
                         empty: "No read-write lock is held or waited for."))</section>
            <section data-testid="semaphores"><h2>Semaphores</h2>\
            \(Self.table(["name", "permits used", "holders", "waiters"], semaphores, empty: "No semaphore permit is held or waited for."))\
            <p class="hint">A semaphore's number of permits is not stored on the server (each caller passes it).</p></section>
            <section data-testid="leaders"><h2>Leaders</h2>\
            \(Self.table(["election", "leader", "lease left", "term", "candidates waiting"], elections, empty: "No election has a leader or a candidate."))\
            </section>
            \(latches)
            \(barriers)
            """
    }

    /// A grid with `headers` and `rows`, or a line saying `empty`.
    private static func table(_ headers: [String], _ rows: [HTML], empty: String) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(empty)</p>" }
        return """
            <table class="grid"><thead><tr>\(headers.map { "<th>\($0)</th>" as HTML })</tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// Owner (unless `owner` is false), lease left and fencing token cells; a free lock shows
    /// the last token granted.
    private static func holderCells(_ holder: LeaseHolder?, lastToken: Int64, owner: Bool = true) -> HTML {
        let who: HTML = holder.map { holder -> HTML in "<code>\(holder.owner)</code>" } ?? "free"
        let ownerCell: HTML = owner ? "<td data-testid=\"owner\">\(who)</td>" : ""
        guard let holder else { return "\(ownerCell)<td>–</td><td data-testid=\"token\">\(String(lastToken)) (last)</td>" }
        return "\(ownerCell)\(leaseCell(holder.leaseLeftMilliseconds))<td data-testid=\"token\">\(String(holder.token))</td>"
    }

    /// Lease left as a duration that the script counts down (`data-lease-left`, in ms).
    private static func leaseCell(_ milliseconds: Int64) -> HTML {
        guard milliseconds >= 0 else { return "<td>no expiry</td>" }
        return "<td data-testid=\"lease-left\" data-lease-left=\"\(String(milliseconds))\">\(duration(milliseconds))</td>"
    }

    /// Holders as a list: owner, token, lease left.
    private static func holderList(_ holders: [LeaseHolder]) -> HTML {
        guard !holders.isEmpty else { return "none" }
        let items = holders.map { holder -> HTML in
            """
            <li data-testid="holder"><code>\(holder.owner)</code> · token \(String(holder.token)) · \
            <span data-lease-left="\(String(holder.leaseLeftMilliseconds))">\(duration(holder.leaseLeftMilliseconds))</span> left</li>
            """
        }
        return "<ul class=\"entries\">\(items)</ul>"
    }

    /// Waiters as a count and a list: id, how long it waited (when recorded), interest left.
    private static func waiterList(_ waiters: [CoordinationWaiter], arrival: Bool) -> HTML {
        guard !waiters.isEmpty else { return "<span data-testid=\"waiter-count\">0</span>" }
        let items = waiters.map { waiter -> HTML in
            let waited = waiter.waitedMilliseconds.map { "waited \(duration($0))" } ?? "arrival not tracked"
            return "<li data-testid=\"waiter\"><code>\(waiter.id)</code> · \(waited)</li>"
        }
        let order = arrival ? "in arrival order" : "unordered"
        return "<span data-testid=\"waiter-count\">\(waiters.count)</span> (\(order))<ul class=\"entries\">\(items)</ul>"
    }
}
