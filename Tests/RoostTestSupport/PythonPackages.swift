import Foundation
import RoostTesting

/// Python packages from PyPI installed into the tests' venv (`PythonRedis.directory`) on first
/// use, for real-client tests of tools such as RQ.
public enum PythonPackages {
    private static let lock = NSLock()

    /// The venv's python with `module` importable, pip-installing `package` when it is not.
    /// Throws with the reason when that fails.
    public static func python(importing module: String, package: String) throws -> String {
        let python = try PythonRedis.python()
        lock.lock()
        defer { lock.unlock() }
        if (try? ChildProcess.run(python, ["-c", "import \(module)"], timeout: 30))?.status == 0 { return python }
        let pip = try ChildProcess.run(PythonRedis.directory + "/bin/pip", ["install", "-q", package], timeout: 300)
        guard pip.status == 0 else {
            throw RawConnection.Error(description: "pip install \(package) failed: \(pip.errorText)")
        }
        return python
    }
}
