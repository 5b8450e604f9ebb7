import ArgumentParser
import Foundation
import TruckrollServer

/// `truckroll config …`: the configuration as the service would read it.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [Check.self]
    )

    /// `truckroll config check`: validate and print the effective settings, secrets redacted.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print every effective setting (secrets redacted).",
            discussion: "Reads flags, then TRUCKROLL_* environment variables, then defaults, as serve does; "
                + "lists every invalid setting at once and exits non-zero if there is any."
        )

        @OptionGroup var listen: ListenOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await reportingFailures {
                let configuration = try database.configuration(adding: listen.flags)
                let settings = configuration.redactedSettings(environment: ProcessInfo.processInfo.environment)
                let width = settings.map(\.key.count).max() ?? 0
                for (key, value) in settings {
                    print(key.padding(toLength: width + 2, withPad: " ", startingAt: 0) + value)
                }
                print("configuration is valid")
            }
        }
    }
}
