import ArgumentParser
import Foundation
import TruckrollSample

/// `truckroll sample`: generated sample data.
struct SampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generated sample data: a realistic service business for demos and benchmarks.",
        subcommands: [SampleLoadCommand.self]
    )
}

/// `truckroll sample load`: generates a sample business from a seed and loads it into an empty database.
struct SampleLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a generated service business into an empty database.",
        discussion: """
            Sizes: demo (40 technicians, 250 open calls, Lyon), medium (200, 1,500), large (1,000, 8,000, the region). \
            The same size, seed and history give the same business; open calls are those of the last four hours. \
            Refuses a database that already has customers.
            """
    )

    /// A preset size, by name.
    enum SizeName: String, CaseIterable, ExpressibleByArgument {
        case demo, medium, large

        var size: SampleBusiness.Size { SampleBusiness.Size.presets.first { $0.name == rawValue }!.size }
    }

    @Option(help: "demo, medium or large.") var size: SizeName = .demo
    @Option(help: "Chooses everything that varies; the same seed gives the same data.") var seed: UInt64 = 1
    @Option(name: .customLong("history-days"), help: "Days of closed calls before today (about 42 events per technician and workday).")
    var historyDays: Int = SampleBusiness.defaultHistoryDays
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard historyDays >= 0, historyDays <= 2_000 else { throw ValidationError("--history-days must be between 0 and 2000") }
    }

    func run() async throws {
        try await withOperatorStore(database) { pool in
            let started = ContinuousClock.now
            let business = SampleBusiness(size: size.size, seed: seed, now: Date(), historyDays: historyDays)
            let summary = try await business.load(into: pool)
            let seconds = (ContinuousClock.now - started).seconds
            print(Self.describe(summary, size: size.rawValue, seed: seed, seconds: seconds))
        }
    }

    /// The summary printed after a load.
    static func describe(_ summary: SampleSummary, size: String, seed: UInt64, seconds: Double) -> String {
        """
        loaded sample \(size) (seed \(seed)) in \(String(format: "%.1f", seconds)) s:
          \(summary.customers) customers, \(summary.sites) sites, \(summary.units) units, \(summary.technicians) technicians
          \(summary.openRequests) open calls (\(summary.waitingOnParts) waiting on parts), \(summary.pastRequests) past calls, \
        \(summary.visits) visits, \(summary.events) events
          users: \(summary.usernames.joined(separator: ", ")) (no passwords: `truckroll admin token create --user NAME` issues a token)
        """
    }
}
