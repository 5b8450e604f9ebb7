import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`, on a thread of its own.
///
/// Foundation's `Process` waits for a descriptor that a daemonising child (`pg_ctl start` leaves `postgres`
/// running) inherits, so it would wait for the server to exit; this helper waits for the program alone.
public enum ChildProcess {
    /// What a finished program left.
    public struct Outcome: Sendable {
        /// Its exit status (128 + signal number when killed by a signal).
        public let status: Int32
        /// Its standard output and standard error, interleaved.
        public let output: String
    }

    /// Runs `program` (a path, or a name looked up in `PATH`) with `arguments`.
    /// - Parameters:
    ///   - program: Executable path or name.
    ///   - arguments: Arguments, not including the program name.
    ///   - environment: The child's environment; `nil` inherits this process's.
    ///   - input: What the child reads on standard input (nothing by default).
    /// - Returns: The exit status and output.
    /// - Throws: `POSIXError` when the program cannot be started.
    public static func run(
        _ program: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil
    ) async throws -> Outcome {
        // A thread of its own: `pg_ctl start` may block for a minute, and a shared pool must not be starved.
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(program, arguments, environment: environment, input: input) })
            }
        }
    }

    private static func runBlocking(
        _ program: String, _ arguments: [String], environment: [String: String]?, input: String?
    ) throws -> Outcome {
        let outputPath = NSTemporaryDirectory() + "truckroll-child-\(UUID().uuidString).out"
        defer { unlink(outputPath) }
        let inputPath = NSTemporaryDirectory() + "truckroll-child-\(UUID().uuidString).in"
        defer { unlink(inputPath) }
        if let input {
            _ = FileManager.default.createFile(atPath: inputPath, contents: Data(input.utf8), attributes: [.posixPermissions: 0o600])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input == nil ? "/dev/null" : inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        // The child starts with no blocked signals and default handlers, whatever this thread had: pgbench's
        // -T timer and Ctrl-C must reach it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [program] + arguments
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid = pid_t()
        let spawned = withCStrings(argv) { argvPointer in
            withCStrings(envp) { envpPointer in
                posix_spawnp(&pid, program, &actions, &attributes, argvPointer, envpPointer)
            }
        }
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exitStatus, output: output)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
