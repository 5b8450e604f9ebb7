import Foundation
import Testing
import TruckrollServer

/// The `truckroll` executable built beside this test binary (`.build/debug`, or another `--scratch-path`), and the
/// repository it was built from.
enum BuiltTruckroll {
    /// Path of the executable: next to the running test binary when it is there, else `.build/debug/truckroll`.
    static let path: String = {
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in directories {
            let candidate = directory.resolvingSymlinksInPath().appendingPathComponent("truckroll").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return CommandLineTests.executable
    }()

    /// The repository root.
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// Runs the executable without any `TRUCKROLL_DATABASE_URL` of the test environment.
    static func run(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = nil
        return try await ChildProcess.run(path, arguments, environment: environment)
    }
}

/// `deploy/`: no container engine or systemd runs here, so these tests hold the Dockerfile, the compose file, the
/// systemd unit and the environment example to the real binary: its subcommands and flags (from `--help`), its
/// default port and its configuration keys (from ``TruckrollConfiguration``).
@Suite struct DeploymentFilesTests {
    /// A command line of `truckroll` written in a deployment file: arguments after the program name.
    struct Invocation: CustomStringConvertible {
        let file: String
        let arguments: [String]
        var description: String { "\(file): truckroll \(arguments.joined(separator: " "))" }
    }

    private static func read(_ file: String) throws -> String {
        try String(contentsOf: BuiltTruckroll.repository.appendingPathComponent("deploy/" + file), encoding: .utf8)
    }

    /// The value of each `KEY=value` line of a systemd unit (the last one wins, as for systemd).
    private static func unitSettings(_ text: String) -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return settings
    }

    /// `FROM`, `CMD` … instructions of a Dockerfile (continuation lines joined), by instruction.
    private static func instructions(_ dockerfile: String) -> [(instruction: String, argument: String)] {
        dockerfile.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
    }

    private static func jsonArray(_ text: some StringProtocol) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.trimmingCharacters(in: .whitespaces).utf8))
    }

    /// Every `truckroll` command line in the Dockerfile (entry point + CMD), the compose file and the unit.
    private static func invocations() throws -> [Invocation] {
        let dockerfile = instructions(try read("Dockerfile"))
        let entrypoint = try jsonArray(try #require(dockerfile.last { $0.instruction == "ENTRYPOINT" }).argument)
        #expect(entrypoint == ["truckroll"], "the image's entry point is the binary itself")
        var found = [Invocation(
            file: "Dockerfile", arguments: try jsonArray(try #require(dockerfile.last { $0.instruction == "CMD" }).argument)
        )]
        for line in try read("docker-compose.yml").split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("command:") {
                found.append(Invocation(file: "docker-compose.yml", arguments: try jsonArray(trimmed.dropFirst("command:".count))))
            }
        }
        let unit = unitSettings(try read("truckroll.service"))
        for key in ["ExecStartPre", "ExecStart"] {
            for command in unit[key] ?? [] {
                let words = command.split(separator: " ").map(String.init)
                #expect(URL(fileURLWithPath: words[0]).lastPathComponent == "truckroll", "\(key)=\(command)")
                found.append(Invocation(file: "truckroll.service", arguments: Array(words.dropFirst())))
            }
        }
        return found
    }

    /// Subcommand names listed by `truckroll --help`.
    private static func subcommands() async throws -> Set<String> {
        let help = try await BuiltTruckroll.run(["--help"])
        #expect(help.status == 0)
        let section = try #require(help.output.components(separatedBy: "SUBCOMMANDS:").last)
        return Set(section.split(separator: "\n").compactMap { line in
            line.hasPrefix("  ") && !line.hasPrefix("   ") ? line.split(separator: " ").first.map(String.init) : nil
        })
    }

    /// Long option names (`--port`) that `truckroll <subcommand> --help` lists.
    private static func flags(of subcommand: String) async throws -> Set<String> {
        let help = try await BuiltTruckroll.run([subcommand, "--help"])
        #expect(help.status == 0, "\(subcommand) --help: \(help.output)")
        var flags: Set<String> = []
        for line in help.output.split(separator: "\n") {
            let words = line.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " || $0 == "," })
            if let option = words.first(where: { $0.hasPrefix("--") }), line.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
                flags.insert(String(option))
            }
        }
        return flags
    }

    /// Every configuration key as its environment variable, from the effective settings' keys
    /// (`database.maxConnections` → `TRUCKROLL_DATABASE_MAX_CONNECTIONS`, as the environment provider maps them).
    static func configurationVariables() throws -> [String] {
        let keys = try TruckrollConfiguration(environment: [:]).redactedSettings(environment: [:]).map(\.key)
        return keys.map { key in
            "TRUCKROLL_" + key.map { $0 == "." ? "_" : $0.isUppercase ? "_\($0)" : $0.uppercased() }.joined()
        }
    }

    @Test func everyCommandLineNamesARealSubcommandAndItsFlags() async throws {
        let invocations = try Self.invocations()
        let subcommands = try await Self.subcommands()
        #expect(subcommands.isSuperset(of: ["serve", "migrate", "backup", "restore"]), "\(subcommands)")
        for invocation in invocations {
            let subcommand = try #require(invocation.arguments.first, "\(invocation)")
            #expect(subcommands.contains(subcommand), "\(invocation): no such subcommand")
            let flags = try await Self.flags(of: subcommand)
            for argument in invocation.arguments where argument.hasPrefix("--") {
                let flag = String(argument.prefix { $0 != "=" })
                #expect(flags.contains(flag), "\(invocation): \(subcommand) has no \(flag) (it has \(flags.sorted()))")
            }
        }
        #expect(invocations.contains { $0.file == "docker-compose.yml" && $0.arguments == ["migrate"] }, "compose migrates")
        #expect(invocations.contains { $0.file == "truckroll.service" && $0.arguments.first == "migrate" }, "the unit migrates")
        for file in ["Dockerfile", "docker-compose.yml", "truckroll.service"] {
            #expect(invocations.contains { $0.file == file && $0.arguments.first == "serve" }, "\(file) serves")
        }
    }

    @Test func configurationKeysAreRealAndTheirNamesAreRead() throws {
        let variables = try Self.configurationVariables()
        #expect(variables.contains("TRUCKROLL_DATABASE_MAX_CONNECTIONS") && variables.contains("TRUCKROLL_PG_BINDIR"))
        // Each derived name really is read: a probe value shows up, or is refused naming the key.
        let keys = try TruckrollConfiguration(environment: [:]).redactedSettings(environment: [:]).map(\.key)
        for (key, variable) in zip(keys, variables) {
            do {
                let settings = try TruckrollConfiguration(environment: [variable: "x-probe"]).redactedSettings(environment: [:])
                #expect(settings.first { $0.key == key }?.value == "x-probe", "\(variable) is not read as \(key)")
            } catch let error as ConfigurationError {
                #expect(error.problems.map(\.key) == [key], "\(variable): \(error)")
            }
        }

        let pattern = try Regex("TRUCKROLL_[A-Z0-9_]*[A-Z0-9]")
        for file in ["Dockerfile", "docker-compose.yml", "truckroll.service", "truckroll.env.example"] {
            for match in try Self.read(file).matches(of: pattern) {
                #expect(variables.contains(String(match.output[0].substring ?? "")), "\(file) names an unknown key: \(match.output[0].substring ?? "")")
            }
        }
    }

    @Test func environmentExampleListsEveryKeyAndMarksSecrets() throws {
        let example = try Self.read("truckroll.env.example")
        let lines = example.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for variable in try Self.configurationVariables() {
            let index = lines.firstIndex { $0.hasPrefix(variable + "=") || $0.hasPrefix("# " + variable + "=") }
            #expect(index != nil, "truckroll.env.example does not list \(variable)")
            // A key is secret when a password in its value does not appear in the effective settings.
            let probe = "postgresql://user:pw-probe@localhost/db"
            guard let index,
                  let settings = try? TruckrollConfiguration(environment: [variable: probe]).redactedSettings(environment: [:]),
                  !settings.contains(where: { $0.value.contains("pw-probe") })
            else { continue }
            let comments = lines[..<index].reversed().prefix { $0.hasPrefix("#") && !$0.hasPrefix("# TRUCKROLL_") }
            #expect(comments.contains { $0.contains("[secret]") }, "\(variable) is a secret and not marked [secret]")
            #expect(!lines[index].hasPrefix(variable + "="), "\(variable) is a secret: commented out, an example value")
        }
        #expect(!example.contains("TRUCKROLL_DATABASE_URL=postgresql://") || example.contains("CHANGE-ME"))
    }

    @Test func imageComposeAndUnitAgreeOnBinaryPortMigrationsAndStop() throws {
        let defaultPort = try TruckrollConfiguration(environment: [:]).httpPort
        let text = try Self.read("Dockerfile")
        let dockerfile = Self.instructions(text)
        let stages = dockerfile.filter { $0.instruction == "FROM" }.map(\.argument)
        #expect(stages.first?.hasPrefix("swift:6.3-bookworm") == true && stages.last == "debian:bookworm-slim", "\(stages)")
        #expect(text.contains("swift build -c release --product truckroll"))
        #expect(text.contains("libpq5") && text.contains("ca-certificates"))
        #expect(dockerfile.last { $0.instruction == "USER" }?.argument == "truckroll")
        #expect(dockerfile.filter { $0.instruction == "EXPOSE" }.map(\.argument) == ["\(defaultPort)"])
        let health = try #require(dockerfile.last { $0.instruction == "HEALTHCHECK" }?.argument)
        #expect(health.contains("/health") && health.contains("\(defaultPort)"))
        let environment = dockerfile.filter { $0.instruction == "ENV" }.map(\.argument).joined(separator: " ")
        let migrations = try #require(environment.split(separator: " ").first { $0.hasPrefix("TRUCKROLL_MIGRATIONS_DIR=") })
            .dropFirst("TRUCKROLL_MIGRATIONS_DIR=".count)
        #expect(migrations.hasSuffix("/sql/migrations"))
        #expect(text.contains("cp -R sql /staging" + migrations.dropLast("/migrations".count)), "sql/ lands where the image looks")

        let compose = try Self.read("docker-compose.yml")
        #expect(compose.contains("image: postgres:15"))
        #expect(compose.contains(":\(defaultPort)\"") && compose.contains("condition: service_completed_successfully"))
        for match in compose.matches(of: try Regex("postgresql://[^:]+:([^@]*)@")) {
            #expect(String(match.output[1].substring ?? "").hasPrefix("${"), "compose takes the password from .env")
        }

        let unit = Self.unitSettings(try Self.read("truckroll.service"))
        #expect(unit["KillSignal"] == ["SIGTERM"])
        #expect(unit["TimeoutStopSec"]?.first.flatMap { Int($0) } != nil)
        #expect(unit["EnvironmentFile"]?.isEmpty == false)
        #expect(unit["User"].map { $0 != ["root"] } == true)
    }
}
