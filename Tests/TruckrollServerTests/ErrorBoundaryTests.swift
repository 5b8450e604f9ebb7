import Foundation
import Hummingbird
import InMemoryLogging
import Logging
import Testing
import TruckrollAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every error leaves as problem+json; unexpected ones are logged at `.error` with the request id, nothing else.
@Suite struct ErrorBoundaryTests {
    struct SecretFailure: Error, CustomStringConvertible {
        var description: String { "database password is hunter2" }
    }

    @Test func unexpectedErrorsBecomeA500ProblemAndAnErrorLogLineWithTheRequestID() async throws {
        let logs = InMemoryLogHandler()
        let logger = Logger(label: "tests", factory: { _ in logs })
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/boom") { _, _ -> String in throw SecretFailure() }
        router.get("/invalid") { _, _ -> String in
            throw Problem.invalidRequest([.init(field: "visit.planned_start", message: "must be an ISO 8601 time")])
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) }, logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())

            let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/boom")!)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 500)
            #expect(http.value(forHTTPHeaderField: "Content-Type") == "application/problem+json")
            let text = String(decoding: body, as: UTF8.self)
            #expect(!text.contains("hunter2"), "the error's text stays in the log")
            let problem = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            let requestID = try #require(problem["instance"] as? String)
            #expect(http.value(forHTTPHeaderField: "X-Request-Id") == requestID)
            let logged = logs.entries.filter { $0.level == .error }
            #expect(logged.count == 1)
            #expect(logged.first?.metadata["hb.request.id"]?.description == requestID)

            let (invalidBody, invalidResponse) = try await URLSession.shared.data(
                from: URL(string: "http://127.0.0.1:\(port)/invalid")!
            )
            #expect((invalidResponse as? HTTPURLResponse)?.statusCode == 422)
            let invalid = try JSONDecoder().decode(Problem.self, from: invalidBody)
            #expect(invalid.errors == [.init(field: "visit.planned_start", message: "must be an ISO 8601 time")])
            #expect(logs.entries.filter { $0.level == .error }.count == 1, "client errors are not logged as errors")
            group.cancelAll()
        }
    }
}
