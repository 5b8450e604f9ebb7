import ArgumentParser
import Foundation
import TruckrollClient
import TruckrollDomain

/// `truckroll call …`: the help desk's and dispatchers' commands for calls.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Log and move service calls.", subcommands: [Open.self, Move.self]
    )

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log a call: truckroll call open --unit 12 --symptom \"E000 on display\".")

        @Option(help: "The unit's id.") var unit: Int?
        @Option(help: "The site's id, when the unit is not known.") var site: Int?
        @Option(help: "corrective, preventive, install, move, courtesy, depot_repair, supplies, remote_support or other.")
        var type = "corrective"
        @Option(help: "phone, email, portal or device_alert.") var channel = "phone"
        @Option(help: "What the caller describes.") var symptom: String
        @Option(name: .customLong("reported-at"), help: "When the outage began (ISO 8601; default now).") var reportedAt: String?
        @Flag(name: .customLong("still-working"), help: "The unit still works (lowers the priority).") var stillWorking = false
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                var body: JSONObject = ["channel": .string(channel), "call_type": .string(type), "symptom": .string(symptom)]
                body["unit_id"] = unit.map { .number(Double($0)) }
                body["site_id"] = site.map { .number(Double($0)) }
                body["reported_at"] = reportedAt.map(JSONValue.string)
                if stillWorking { body["unit_down"] = false }
                let call = try await client.client().sendRetrying("POST", "v1/service-requests", body: .object(body),
                                                                  headers: ["Idempotency-Key": UUID().uuidString]).json()
                printRecord(call, resource: Registry.resource(named: "service-requests")!, json: json)
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a call: truckroll call move 7 --to resolved_remotely --resolution-code PHONE-FIX --notes \"…\"."
        )

        @Argument(help: "The call's id.") var id: Int
        @Option(help: "The next status.") var to: String
        @Option(help: "Why.") var reason: String?
        @Option(name: .customLong("hold-code"), help: "For on_hold: waiting_for_parts, waiting_for_vendor, waiting_for_customer, site_closed.")
        var holdCode: String?
        @Option(name: .customLong("resolution-code"), help: "To resolve.") var resolutionCode: String?
        @Option(help: "Resolution notes, to resolve.") var notes: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                var body: JSONObject = ["to": .string(to)]
                body["reason"] = reason.map(JSONValue.string)
                body["hold_code"] = holdCode.map(JSONValue.string)
                body["resolution_code"] = resolutionCode.map(JSONValue.string)
                body["resolution_notes"] = notes.map(JSONValue.string)
                let call = try await client.client().move("v1/service-requests/\(id)", body)
                print("call \(id) is now \(Output.text(call["status"]))")
            }
        }
    }
}

/// `truckroll queue`: open calls, most urgent first.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Open calls, most urgent first: SLA breached, at risk, then by downtime cost so far."
    )

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let api = try client.client()
            var calls: [JSONObject] = []
            for status in ["new", "triage", "escalated", "dispatch_needed", "scheduled", "in_progress", "on_hold"] {
                calls += try await api.all("v1/service-requests", query: [("status", status)])
            }
            let ranked = calls.map { call -> (call: JSONObject, urgency: QueueUrgency) in (call, QueueUrgency(call)) }
                .sorted { $0.urgency < $1.urgency }
            if json { Output.json(.array(ranked.map { .object($0.call) })) } else {
                Output.table(ranked.map { entry in
                    var row = entry.call
                    row["sla"] = .string(entry.urgency.label)
                    row["restore_due"] = entry.urgency.restoreDue.map { .string($0) } ?? .null
                    row["cost_so_far"] = .string(String(Int(entry.urgency.costSoFar.rounded())))
                    return row
                }, columns: ["id", "priority", "sla", "restore_due", "cost_so_far", "status", "serial_number", "site_name", "symptom"])
            }
        }
    }
}

/// How urgent an open call is for a dispatcher: breached SLAs first, then those at risk, then the rest; within
/// each, the most downtime cost so far (cost per hour × hours down), then the earliest restore due time.
struct QueueUrgency: Comparable {
    let band: Int
    let costSoFar: Double
    let restoreDue: String?
    let priority: String

    init(_ call: JSONObject) {
        let clocks: JSONObject = if case .object(let clocks)? = call["clocks"] { clocks } else { [:] }
        let restore: JSONObject = if case .object(let restore)? = clocks["restore"] { restore } else { [:] }
        band = restore["breached"] == .bool(true) ? 0 : restore["at_risk"] == .bool(true) ? 1 : 2
        if case .number(let perHour)? = call["downtime_cost_per_hour"], case .number(let minutes)? = clocks["downtime_minutes"] {
            costSoFar = perHour * minutes / 60
        } else {
            costSoFar = 0
        }
        restoreDue = restore["due"]?.stringValue
        priority = call["priority"]?.stringValue ?? "P4"
    }

    var label: String { ["BREACHED", "at risk", restoreDue == nil ? "none" : "ok"][band] }

    static func < (lhs: QueueUrgency, rhs: QueueUrgency) -> Bool {
        if lhs.band != rhs.band { return lhs.band < rhs.band }
        if lhs.costSoFar != rhs.costSoFar { return lhs.costSoFar > rhs.costSoFar }
        if lhs.restoreDue != rhs.restoreDue { return (lhs.restoreDue ?? "~") < (rhs.restoreDue ?? "~") }
        return lhs.priority < rhs.priority
    }
}

/// `truckroll jobs`: a technician's visits still to do.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Your visits still to do, in planned order.")

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let visits = try await client.client().all("v1/me/visits", query: [])
            if json { Output.json(.array(visits.map(JSONValue.object))) } else {
                Output.table(visits, columns: ["id", "planned_start", "status", "priority", "site_address", "serial_number", "model_name", "symptom"])
                for visit in visits {
                    let planned = visit["bring_parts"]?.arrayValue?.compactMap(\.objectValue) ?? []
                    for part in planned {
                        print("visit \(Output.text(visit["id"])): bring \(Output.text(part["part_number"])) \(Output.text(part["description"])) "
                              + "(\(Output.text(part["why"]))): \(Output.text(part["source"]))")
                    }
                    guard planned.isEmpty, case .array(let parts)? = visit["parts_to_bring"], !parts.isEmpty else { continue }
                    let list = parts.compactMap { part -> String? in
                        guard case .object(let part) = part else { return nil }
                        return "\(Output.text(part["part_number"])) (\(Output.text(part["in_van"])) in van)"
                    }
                    print("visit \(Output.text(visit["id"])): bring \(list.joined(separator: ", "))")
                }
            }
        }
    }
}

/// `truckroll job start|arrive|done|incomplete ID`: a technician's progress on a visit.
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Record progress on a visit.", subcommands: [Start.self, Arrive.self, Done.self, Incomplete.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "On the way to the visit.")
        @Argument(help: "The visit's id.") var id: Int
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let visit = try await client.client().move("v1/visits/\(id)", ["to": "en_route"])
                print("visit \(id): \(Output.text(visit["status"])) to \(Output.text(visit["site_address"]))")
            }
        }
    }

    struct Arrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "On site.")
        @Argument(help: "The visit's id.") var id: Int
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let visit = try await client.client().move("v1/visits/\(id)", ["to": "on_site"])
                print("visit \(id): \(Output.text(visit["status"]))")
            }
        }
    }

    struct Done: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Finished: truckroll job done 42 --notes \"Fuser replaced\" --part 7 --meter 130500.")
        @Argument(help: "The visit's id.") var id: Int
        @Option(help: "What was done.") var notes: String
        @Option(help: "fixed or no_fault_found.") var outcome = "fixed"
        @Option(help: "Meter reading (pages).") var meter: Int?
        @Option(name: .customLong("part"), help: "A part fitted, as PART_ID or PART_ID:QUANTITY; repeatable.") var parts: [String] = []
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try client.client()
                for part in parts { try await api.usePart(visit: id, part) }
                var body: JSONObject = ["to": "completed", "outcome": .string(outcome), "work_notes": .string(notes)]
                body["meter_pages"] = meter.map { .number(Double($0)) }
                let visit = try await api.move("v1/visits/\(id)", body)
                print("visit \(id): \(Output.text(visit["status"])) (\(Output.text(visit["outcome"])))")
            }
        }
    }

    struct Incomplete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Could not finish: truckroll job incomplete 42 --code needs_part --notes \"…\".")
        @Argument(help: "The visit's id.") var id: Int
        @Option(help: "needs_part, needs_second_technician or customer_unavailable.") var code: String
        @Option(help: "What was found.") var notes: String
        @Option(name: .customLong("part"), help: "A part fitted anyway, as PART_ID or PART_ID:QUANTITY; repeatable.") var parts: [String] = []
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try client.client()
                for part in parts { try await api.usePart(visit: id, part) }
                let visit = try await api.move("v1/visits/\(id)", ["to": "incomplete", "incomplete_code": .string(code), "work_notes": .string(notes)])
                print("visit \(id): \(Output.text(visit["status"])) (\(code))")
            }
        }
    }
}

/// `truckroll rma list|show|update`: a vendor coordinator's RMAs.
struct RMACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rma", abstract: "Vendor RMAs: list, show, update status, tracking and ETA.", subcommands: [List.self, Show.self, Update.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "RMAs you can see.")
        @Option(help: "Only this status.") var status: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let rmas = try await client.client().all("v1/rmas", query: status.map { [("status", $0)] } ?? [])
                if json { Output.json(.array(rmas.map(JSONValue.object))) } else {
                    Output.table(rmas, columns: ["id", "status", "rma_number", "vendor_case_number", "unit_id", "kind", "eta", "defective_overdue"])
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One RMA.")
        @Argument(help: "The RMA's id.") var id: Int
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let rma = try await client.client().send("GET", "v1/rmas/\(id)").json()
                printRecord(rma, resource: Registry.resource(named: "rmas")!, json: json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an RMA or change its ETA: truckroll rma update 8 --to shipped --carrier DHL --tracking JD01 --eta 2026-12-02T10:00:00Z."
        )
        @Argument(help: "The RMA's id.") var id: Int
        @Option(help: "The next status (omit to change only the ETA or tracking).") var to: String?
        @Option(help: "Carrier.") var carrier: String?
        @Option(help: "Tracking number.") var tracking: String?
        @Option(help: "Expected arrival, ISO 8601.") var eta: String?
        @Option(name: .customLong("rma-number"), help: "The vendor's RMA number.") var rmaNumber: String?
        @Option(help: "Where it was delivered: site, depot or vehicle.") var destination: String?
        @Option(name: .customLong("depot"), help: "Depot id, for a delivery to a depot.") var depot: Int?
        @Option(name: .customLong("vehicle"), help: "Van id, for a delivery to a van.") var vehicle: Int?
        @Option(help: "Why (rejection reason when rejected).") var reason: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try client.client()
                let rma: JSONObject
                if let to {
                    var body: JSONObject = ["to": .string(to)]
                    body["carrier"] = carrier.map(JSONValue.string)
                    body["tracking_number"] = tracking.map(JSONValue.string)
                    body["eta"] = eta.map(JSONValue.string)
                    body["rma_number"] = rmaNumber.map(JSONValue.string)
                    body["destination"] = destination.map(JSONValue.string)
                    body["destination_depot_id"] = depot.map { .number(Double($0)) }
                    body["destination_vehicle_id"] = vehicle.map { .number(Double($0)) }
                    if to == "rejected" { body["rejection_reason"] = reason.map(JSONValue.string) } else { body["reason"] = reason.map(JSONValue.string) }
                    rma = try await api.move("v1/rmas/\(id)", body)
                } else {
                    var patch: JSONObject = [:]
                    patch["carrier"] = carrier.map(JSONValue.string)
                    patch["tracking_number"] = tracking.map(JSONValue.string)
                    patch["eta"] = eta.map(JSONValue.string)
                    patch["rma_number"] = rmaNumber.map(JSONValue.string)
                    guard !patch.isEmpty else { throw ValidationError("give --to, or --eta, --carrier, --tracking or --rma-number") }
                    let path = "v1/rmas/\(id)"
                    let etag = try await api.send("GET", path).headers["etag"] ?? ""
                    guard case .object(let object) = try await api.sendRetrying("PATCH", path, body: .object(patch), headers: ["If-Match": etag]).json()
                    else { throw ValidationError("unreadable answer") }
                    rma = object
                }
                print("RMA \(id): \(Output.text(rma["status"])), ETA \(Output.text(rma["eta"]))")
            }
        }
    }
}

extension APIClient {
    /// Every row of a list, following the cursor.
    func all(_ path: String, query: [(String, String)]) async throws -> [JSONObject] {
        var rows: [JSONObject] = []
        var cursor: String?
        repeat {
            var pageQuery = query + [("limit", "1000")]
            if let cursor { pageQuery.append(("after", cursor)) }
            guard case .object(let page) = try await send("GET", path, query: pageQuery).json() else { break }
            if case .array(let items)? = page["items"] { for case .object(let item) in items { rows.append(item) } }
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        return rows
    }

    /// Applies a transition with the record's current ETag. A retry after a dropped connection is safe: the ETag
    /// makes a second application fail (412), and a record already in the target status counts as done.
    func move(_ path: String, _ body: JSONObject) async throws -> JSONObject {
        let etag = try await send("GET", path).headers["etag"] ?? ""
        do {
            guard case .object(let record) = try await sendRetrying("POST", path + "/transitions", body: .object(body), headers: ["If-Match": etag]).json()
            else { throw ValidationError("unreadable answer") }
            return record
        } catch let problem as APIProblem where problem.status == 412 {
            guard case .object(let record) = try await send("GET", path).json(), record["status"] == body["to"] else { throw problem }
            return record
        }
    }

    /// Records a part fitted on a visit (`PART_ID` or `PART_ID:QUANTITY`).
    func usePart(visit id: Int, _ part: String) async throws {
        let pieces = part.split(separator: ":")
        guard let partID = pieces.first.flatMap({ Int($0) }), pieces.count <= 2 else { throw ValidationError("--part \(part): write PART_ID or PART_ID:QUANTITY") }
        let quantity = pieces.count == 2 ? Int(pieces[1]) : 1
        guard let quantity, quantity > 0 else { throw ValidationError("--part \(part): the quantity must be a positive number") }
        let path = "v1/visits/\(id)"
        let etag = try await send("GET", path).headers["etag"] ?? ""
        _ = try await send("POST", path + "/parts", body: ["part_id": .number(Double(partID)), "quantity": .number(Double(quantity))],
                           headers: ["If-Match": etag])
    }
}

/// `truckroll report NAME --from --to [--by] [--filter k=v] [--format table|csv|json|svg] [--per day|week|month]`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A report: downtime, times, dealer, calls, sla, uptime, mcbc, pm, technicians, parts or rma (definitions in docs/metrics.md).",
        discussion: "--format svg writes an SVG chart of the report's headline figure to standard output: a bar per group, or with --per a line per group across the period."
    )

    @Argument(help: "downtime, times, dealer, calls, sla, uptime, mcbc, pm, technicians, parts or rma.") var name: String
    @Option(help: "First day (YYYY-MM-DD) or instant of the period.") var from: String
    @Option(help: "Day or instant after the period.") var to: String
    @Option(help: "Group by: none, customer, site, department, model, unit, priority, call_type, technician, part, vendor (as the report allows).")
    var by = "none"
    @Option(name: .customLong("filter"), help: "A filter as name=value (customer, site, department, model, vendor, technician, priority, call_type); repeatable.")
    var filters: [String] = []
    @Option(help: "table, csv, json or svg.") var format = "table"
    @Option(help: "With --format svg: a trend, one point per day, week or month.") var per: String?
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            guard ["table", "csv", "json", "svg"].contains(format) else { throw ValidationError("--format must be table, csv, json or svg") }
            guard per == nil || format == "svg" else { throw ValidationError("--per is for --format svg") }
            var query: [(String, String)] = [("from", from), ("to", to), ("by", by)] + (per.map { [("per", $0)] } ?? [])
            for filter in filters {
                guard let equals = filter.firstIndex(of: "=") else { throw ValidationError("--filter \(filter): write name=value") }
                query.append((String(filter[..<equals]), String(filter[filter.index(after: equals)...])))
            }
            let api = try client.client()
            if format == "csv" || format == "svg" {
                let response = try await api.send("GET", "v1/reports/\(name)", query: query + [("format", format)])
                print(String(decoding: response.body, as: UTF8.self), terminator: "")
                return
            }
            let report = try await api.send("GET", "v1/reports/\(name)", query: query).json()
            guard format == "table", case .object(let object) = report, case .array(let items)? = object["rows"] else {
                Output.json(report)
                return
            }
            let rows = items.compactMap { item -> JSONObject? in if case .object(let row) = item { row } else { nil } }
            Output.table(rows, columns: ["group"] + Set(rows.flatMap(\.keys)).subtracting(["group"]).sorted())
        }
    }
}
