import ArgumentParser
import Foundation
import TruckrollServer

/// `truckroll worker`: planning workers without the HTTP API, for other machines.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run planning workers (no HTTP) against the API's database until SIGINT or SIGTERM.",
        discussion: "Workers claim queued planning runs with FOR UPDATE SKIP LOCKED: start as many as the machines allow."
    )

    @Option(help: "Workers in this process.") var workers = 1
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...16).contains(workers) else { throw ValidationError("--workers: expected 1 to 16") }
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration(adding: [:])
            let logger = makeLogger(level: configuration.logLevel, format: configuration.logFormat)
            try await runPlanningWorkers(configuration: configuration, count: workers, logger: logger)
        }
    }
}
