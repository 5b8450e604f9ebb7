import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore
import TruckrollDomain
import TruckrollStore

/// `/v1/plans`: queue planning runs, follow them, review and apply their plans; `/v1/planning-policy`: what
/// triggers repair runs; `/v1/board`: the booked routes with their downtime cost and SLA risk.
public struct PlanController: Sendable {
    let runs: PlanRunStore

    public init(runs: PlanRunStore) {
        self.runs = runs
    }

    /// Adds the routes under `group` (which authenticates).
    public func addRoutes(to group: RouterGroup<TruckrollRequestContext>) {
        group.post("plans") { request, context in
            let principal = try context.requirePrincipal()
            let body = try await jsonObject(request, context: context)
            let document = try await registryCall { try await runs.create(body, as: principal) }
            var response = jsonResponse(status: .accepted, body: document)
            if let id = JSONValue(parsing: document)?.objectValue?["id"]?.integerValue {
                response.headers[.location] = "/v1/plans/\(id)"
            }
            return response
        }
        group.get("plans") { request, context in
            let principal = try context.requirePrincipal()
            var status: String?
            var limit = 50
            for (key, value) in request.uri.queryParameters {
                switch key {
                case "status":
                    let statuses = ["queued", "running", "done", "failed", "applied", "cancelled"]
                    guard statuses.contains(String(value)) else {
                        throw Problem.invalidRequest([.init(field: "status", message: "must be one of \(statuses.joined(separator: ", "))")], status: .badRequest)
                    }
                    status = String(value)
                case "limit":
                    guard let number = Int(value), (1...200).contains(number) else {
                        throw Problem.invalidRequest([.init(field: "limit", message: "must be an integer from 1 to 200")], status: .badRequest)
                    }
                    limit = number
                default:
                    throw Problem.invalidRequest([.init(field: String(key), message: "is not a parameter; use status or limit")], status: .badRequest)
                }
            }
            let items = try await registryCall { try await runs.list(status: status, limit: limit, as: principal) }
            return jsonResponse(status: .ok, body: "{\"items\":[" + items.joined(separator: ",") + "]}")
        }
        group.get("plans/:id") { _, context in
            let principal = try context.requirePrincipal()
            let id = try Self.id(context)
            return jsonResponse(status: .ok, body: try await registryCall { try await runs.get(id, as: principal) })
        }
        group.post("plans/:id/apply") { _, context in
            let principal = try context.requirePrincipal()
            let id = try Self.id(context)
            return jsonResponse(status: .ok, body: try await registryCall { try await runs.apply(id, as: principal) })
        }
        group.get("planning-policy") { _, context in
            let principal = try context.requirePrincipal()
            return jsonResponse(status: .ok, body: try await registryCall { try await runs.policy(as: principal) })
        }
        group.patch("planning-policy") { request, context in
            let principal = try context.requirePrincipal()
            let body = try await jsonObject(request, context: context)
            return jsonResponse(status: .ok, body: try await registryCall { try await runs.updatePolicy(body, as: principal) })
        }
        group.get("board") { request, context in
            let principal = try context.requirePrincipal()
            var hours = 12
            for (key, value) in request.uri.queryParameters {
                guard key == "hours", let number = Int(value), (1...168).contains(number) else {
                    throw Problem.invalidRequest([.init(field: String(key), message: key == "hours" ? "must be an integer from 1 to 168" : "is not a parameter; use hours")], status: .badRequest)
                }
                hours = number
            }
            return jsonResponse(status: .ok, body: try await registryCall { try await runs.board(hours: hours, as: principal) })
        }
    }

    static func id(_ context: TruckrollRequestContext) throws -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text), id > 0 else { throw Problem.notFound("no such plan") }
        return id
    }
}
