import Foundation
import Testing
import TruckrollClient
import TruckrollServer
import TruckrollTestSupport

/// HTTPS: `serve` with a certificate and key, the CLI verifying the server's certificate against the system's
/// authorities or the one it is given, and start-up refusing unusable TLS files.
@Suite struct TLSTests {
    /// A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost, made with openssl.
    struct Certificates {
        let directory: String
        var ca: String { directory + "/ca.pem" }
        var certificate: String { directory + "/server.pem" }
        var key: String { directory + "/server.key" }
        var otherKey: String { directory + "/other.key" }

        init() async throws {
            directory = NSTemporaryDirectory() + "truckroll-tls-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let extensions = directory + "/server.ext"
            try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                .write(toFile: extensions, atomically: true, encoding: .utf8)
            let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            for arguments in [
                ["req", "-x509"] + p256 + ["-keyout", directory + "/ca.key", "-out", ca, "-days", "2", "-subj", "/CN=Truckroll test CA"],
                ["req"] + p256 + ["-keyout", key, "-out", directory + "/server.csr", "-subj", "/CN=localhost"],
                ["x509", "-req", "-in", directory + "/server.csr", "-CA", ca, "-CAkey", directory + "/ca.key", "-CAcreateserial",
                 "-out", certificate, "-days", "2", "-extfile", extensions],
                ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", otherKey],
            ] {
                let outcome = try await ChildProcess.run("openssl", arguments)
                guard outcome.status == 0 else { throw TestSupportError("openssl \(arguments[0]) failed: \(outcome.output)") }
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func startUpListsEveryTLSProblem() async throws {
        let files = try await Certificates()
        defer { files.remove() }
        let valid = try TruckrollConfiguration(environment: ["TRUCKROLL_TLS_CERTIFICATE": files.certificate, "TRUCKROLL_TLS_KEY": files.key])
        #expect(valid.tls?.certificatePath == files.certificate)
        #expect(try TruckrollConfiguration(environment: [:]).tls == nil)

        let cases: [(settings: [String: String], problems: [String])] = [
            (["tls.certificate": files.certificate], ["tls.certificate: needs tls.key (TRUCKROLL_TLS_KEY) as well"]),
            (["tls.key": files.key], ["tls.key: needs tls.certificate (TRUCKROLL_TLS_CERTIFICATE) as well"]),
            (["tls.certificate": files.directory + "/missing.pem", "tls.key": files.directory + "/missing.key"],
             ["tls.certificate: cannot read \(files.directory)/missing.pem", "tls.key: cannot read \(files.directory)/missing.key"]),
            (["tls.certificate": files.key, "tls.key": files.certificate],
             ["tls.certificate: \(files.key) holds no PEM certificate", "tls.key: \(files.certificate) holds no PEM private key"]),
            (["tls.certificate": files.certificate, "tls.key": files.otherKey],
             ["tls.key: \(files.otherKey) is not the key of the certificate in \(files.certificate)"]),
        ]
        for (settings, problems) in cases {
            #expect(throws: ConfigurationError.self) { try TruckrollConfiguration(flags: settings, environment: [:]) }
            do {
                _ = try TruckrollConfiguration(flags: settings, environment: [:])
            } catch let error as ConfigurationError {
                #expect(error.problems.map { "\($0.key): \($0.reason)" } == problems)
            }
        }
    }

    @Test func serveSpeaksHTTPSAndTheCLIVerifiesTheCertificate() async throws {
        let files = try await Certificates()
        defer { files.remove() }
        try await TestDatabase.withDatabase { database in
            let url = TestDatabase.url(of: database)
            var environment = ProcessInfo.processInfo.environment
            for name in ["TRUCKROLL_DATABASE_URL", "TRUCKROLL_SERVER", "TRUCKROLL_TOKEN", "TRUCKROLL_CA_FILE"] { environment[name] = nil }
            let home = files.directory + "/home"
            environment["XDG_CONFIG_HOME"] = home
            func truckroll(_ arguments: [String], input: String? = nil) async throws -> ChildProcess.Outcome {
                try await ChildProcess.run(CommandLineTests.executable, arguments, environment: environment, input: input)
            }
            let user = try await truckroll(["admin", "user", "add", "--username", "tess", "--role", "admin", "--password-stdin",
                                            "--database-url", url], input: "a long enough password\n")
            #expect(user.status == 0, "\(user.output)")

            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
            process.arguments = [
                "serve", "--port", "0", "--database-url", url, "--migrations-dir", TestDatabase.migrationsDirectory,
                "--log-level", "error", "--tls-certificate", files.certificate, "--tls-key", files.key,
            ]
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            let banner = try await CommandLineTests.firstLine(of: output.fileHandleForReading)
            let address = try #require(banner.split(separator: " ").first { $0.hasPrefix("https://127.0.0.1:") }, "\(banner)")
            let server = try #require(URL(string: String(address)))

            let health = try await APIClient(server: server, token: nil, certificateAuthorityFile: files.ca).send("GET", "health")
            #expect(health.status == 200 && String(decoding: health.body, as: UTF8.self).contains("reachable"))
            await #expect(throws: ConnectionFailure.self) { try await APIClient(server: server, token: nil).send("GET", "health") }

            let login = ["login", "--server", server.absoluteString, "--username", "tess", "--password-stdin"]
            let refused = try await truckroll(login, input: "a long enough password\n")
            #expect(refused.status != 0)
            #expect(refused.output.split(separator: "\n").count == 1, "one line: \(refused.output)")
            #expect(refused.output.contains("certificate is not signed by a trusted certificate authority")
                && refused.output.contains("--ca-file"), "\(refused.output)")

            let accepted = try await truckroll(login + ["--ca-file", files.ca], input: "a long enough password\n")
            #expect(accepted.status == 0, "\(accepted.output)")
            let listed = try await truckroll(["list", "customers"])
            #expect(listed.status == 0, "the CA given at login is used afterwards: \(listed.output)")

            var plain = URLComponents(url: server, resolvingAgainstBaseURL: false)!
            plain.scheme = "http"
            let overHTTP = try await truckroll(["list", "customers", "--server", plain.string!])
            #expect(overHTTP.status != 0 && overHTTP.output.contains("cannot reach the server"), "\(overHTTP.output)")
            #expect(overHTTP.output.split(separator: "\n").count == 1, "one line: \(overHTTP.output)")

            // Without the file login wrote: TRUCKROLL_CA_FILE, and a file that holds no certificate.
            let stored = try #require(try StoredCredentials.load(environment: ["XDG_CONFIG_HOME": home]))
            #expect(stored.certificateAuthorityFile == files.ca)
            environment["XDG_CONFIG_HOME"] = home + "/elsewhere"
            let direct = ["list", "customers", "--server", server.absoluteString, "--token", stored.token]
            #expect(try await truckroll(direct).status != 0)
            environment["TRUCKROLL_CA_FILE"] = files.ca
            let fromEnvironment = try await truckroll(direct)
            #expect(fromEnvironment.status == 0, "\(fromEnvironment.output)")
            let notACertificate = try await truckroll(direct + ["--ca-file", files.key])
            #expect(notACertificate.status != 0 && notACertificate.output.contains("is not a readable PEM certificate file"))

            process.terminate()
            #expect(await CommandLineTests.exitStatus(of: process) == 0)
        }
    }
}
