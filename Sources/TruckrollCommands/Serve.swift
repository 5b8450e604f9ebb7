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

    @Flag(help: "Load the demo-size sample business into an empty database and print tokens for its admin, dispatcher, technician and vendor coordinator.")
    var demo = false

    func run() async throws {
        try await reportingFailures {
            let configuration = try database.configuration(adding: listen.flags)
            let logger = makeLogger(level: configuration.logLevel, format: configuration.logFormat)
            let demoCredentials = DemoCredentials()
            try await runServer(configuration: configuration, environment: ProcessInfo.processInfo.environment, prepare: { pool in
                if demo {
                    await demoCredentials.set(try await DemoData().prepare(pool: pool))
                    await demoCredentials.set(plan: try await DemoPlan.run(pool: pool, logger: logger))
                }
            }, onServerRunning: { port in
                let base = "\(configuration.tls == nil ? "http" : "https")://\(configuration.httpHost):\(port)"
                var text = "Truckroll is serving on \(base) (health: /health, API: /v1, description: /openapi.json). Stop with Ctrl-C.\n"
                let credentials = await demoCredentials.value
                if !credentials.isEmpty {
                    text += DemoData.instructions(server: base, credentials: credentials, plan: await demoCredentials.plan)
                }
                FileHandle.standardOutput.write(Data(text.utf8))
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

    @Option(name: .customLong("tls-certificate"), help: ArgumentHelp(
        "PEM certificate chain: serve HTTPS (env TRUCKROLL_TLS_CERTIFICATE; needs --tls-key).", valueName: "path"
    ))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp(
        "PEM private key of the certificate (env TRUCKROLL_TLS_KEY).", valueName: "path"
    ))
    var tlsKey: String?

    /// The listening flags given on the command line, by configuration key.
    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["http.host"] = host
        flags["http.port"] = port.map(String.init)
        flags["tls.certificate"] = tlsCertificate
        flags["tls.key"] = tlsKey
        return flags
    }
}
