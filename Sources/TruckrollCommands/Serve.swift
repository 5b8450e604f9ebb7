import ArgumentParser
import Foundation
import TruckrollServer

/// `truckroll serve`: the HTTP API.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API until SIGINT or SIGTERM.",
        discussion: """
            Without --database-url (or TRUCKROLL_DATABASE_URL) a private PostgreSQL is started in the data \
            directory and migrated. With a URL, serve refuses to start while migrations are pending.
            """
    )

    @OptionGroup var listen: ListenOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration(adding: listen.flags)
            let logger = makeLogger(level: configuration.logLevel)
            try await runServer(configuration: configuration, environment: ProcessInfo.processInfo.environment, onServerRunning: { port in
                let line = "Truckroll is serving on http://\(configuration.httpHost):\(port) (health: /health). Stop with Ctrl-C.\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }, logger: logger)
        }
    }
}

/// Where the HTTP server listens; shared by `serve` and `config check`.
struct ListenOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Address to listen on (env TRUCKROLL_HTTP_HOST; default 127.0.0.1).", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on (env TRUCKROLL_HTTP_PORT; default 8080).", valueName: "port"))
    var port: Int?

    /// The listening flags given on the command line, by configuration key.
    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["http.host"] = host
        flags["http.port"] = port.map(String.init)
        return flags
    }
}
