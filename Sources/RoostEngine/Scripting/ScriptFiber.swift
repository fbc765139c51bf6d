import CRoostFiber

/// A stack of its own for commands that run scripts (EVAL, FCALL, EXEC).
///
/// Redis runs a script on its one thread and, once the script has run longer than
/// busy-reply-threshold, serves the other clients from inside the script's instruction hook. A
/// NIO event loop cannot be re-entered that way, so Roost runs the command on a fiber instead:
/// the hook suspends the fiber, the command returns to the connection as "still running", the
/// event loop serves the other clients (BUSY, SCRIPT KILL), and the connection resumes the
/// fiber on its next turn. Suspension works at any depth, inside `pcall` or a metamethod alike,
/// which Lua's own coroutines cannot do. A fiber is started, suspended and resumed on one thread,
/// the event loop of the connection that sent the command.
final class ScriptFiber {
    private let fiber: OpaquePointer
    private var body: (() -> Void)?
    /// True while code runs on the fiber (and so may suspend it).
    private(set) var isRunning = false
    /// True while a started body waits to be resumed.
    private(set) var isSuspended = false

    /// Reserved, not committed: pages are touched only as deep as the scripts go. Deep enough
    /// for cjson and cmsgpack to reach Lua's own nesting limit (near 8000) as in Redis, even in
    /// a debug build's large frames.
    static let stackSize = 64 << 20

    init?() {
        guard let fiber = roost_fiber_create(ScriptFiber.stackSize) else { return nil }
        self.fiber = fiber
    }

    deinit { roost_fiber_destroy(fiber) }

    private static let entry: roost_fiber_body = { pointer in
        guard let pointer else { return }
        let fiber = Unmanaged<ScriptFiber>.fromOpaque(pointer).takeUnretainedValue()
        fiber.body?()
        fiber.body = nil
    }

    /// Runs `body` on the fiber. Returns true once it has returned, false if it suspended.
    func start(_ body: @escaping () -> Void) -> Bool {
        precondition(!isRunning && !isSuspended, "the script fiber is busy")
        self.body = body
        isRunning = true
        let finished = roost_fiber_start(fiber, ScriptFiber.entry, Unmanaged.passUnretained(self).toOpaque()) == 1
        isRunning = false
        isSuspended = !finished
        return finished
    }

    /// Continues a suspended body. Returns true once it has returned, false if it suspended again.
    func resume() -> Bool {
        guard isSuspended else { return true }
        isSuspended = false
        isRunning = true
        let finished = roost_fiber_resume(fiber) == 1
        isRunning = false
        isSuspended = !finished
        return finished
    }

    /// Called on the fiber: returns control to `start` or `resume`'s caller until resumed.
    func suspend() {
        precondition(isRunning, "suspend called off the script fiber")
        roost_fiber_suspend(fiber)
    }
}
