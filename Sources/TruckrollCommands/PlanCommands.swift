import ArgumentParser
import Foundation
import TruckrollClient
import TruckrollDomain

/// `truckroll plan …`: dispatchers' planning runs.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan the day: truckroll plan [--horizon 1d] [--apply]; then plan show ID, plan apply ID, plan what-if.",
        subcommands: [New.self, Show.self, Apply.self, WhatIfRun.self, List.self], defaultSubcommand: New.self
    )

    /// Options shared by new runs and what-if runs.
    struct RunOptions: ParsableArguments {
        @Option(help: "How far ahead: 90m, 8h, 1d, 2d (up to 7d).") var horizon = "1d"
        @Option(name: .customLong("time-limit"), help: "Solver time limit in seconds.") var timeLimit = 10.0
        @Option(help: "Plan only these technicians: ids separated by commas.") var technicians: String?
        @Option(name: .customLong("disruption-budget"), help: "At most this many booked visits change technician.") var disruptionBudget: Int?
        @Option(name: .customLong("frozen-minutes"), help: "Booked visits starting within this many minutes stay (with --repair).")
        var frozenMinutes: Int?
        @Flag(help: "Repair the current plan instead of planning afresh.") var repair = false

        func body() throws -> JSONObject {
            var body: JSONObject = ["horizon_minutes": .number(Double(try Self.minutes(horizon))), "time_limit_seconds": .number(timeLimit)]
            if let technicians { body["technician_ids"] = .array(try Self.ids(technicians, option: "--technicians").map { .number(Double($0)) }) }
            body["disruption_budget"] = disruptionBudget.map { .number(Double($0)) }
            body["frozen_minutes"] = frozenMinutes.map { .number(Double($0)) }
            if repair { body["repair"] = true }
            return body
        }

        /// `90m`, `8h`, `1d` in minutes.
        static func minutes(_ text: String) throws -> Int {
            let units: [Character: Int] = ["m": 1, "h": 60, "d": 1_440]
            guard let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()), count > 0 else {
                throw ValidationError("--horizon: expected a duration such as 90m, 8h or 1d, not \(text)")
            }
            return count * unit
        }

        static func ids(_ text: String, option: String) throws -> [Int] {
            try text.split(separator: ",").map { part in
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)), id > 0 else {
                    throw ValidationError("\(option): expected ids separated by commas, not \(text)")
                }
                return id
            }
        }
    }

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "new", abstract: "Compute a plan and show it against the current plan.")

        @OptionGroup var run: RunOptions
        @Flag(help: "Apply the plan once computed.") var apply = false
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try client.client()
                let plan = try await PlanCommand.compute(try run.body(), api: api, quiet: json)
                if json { Output.json(.object(plan)) } else { PlanCommand.printSummary(plan) }
                if apply, let id = plan["id"]?.integerValue { try await PlanCommand.apply(id, api: api, json: json) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a plan: KPIs, routes and why.")

        @Argument(help: "The plan's id.") var id: Int
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let plan = try await client.client().send("GET", "v1/plans/\(id)").json().objectValue ?? [:]
                if json { Output.json(.object(plan)) } else { PlanCommand.printSummary(plan, routes: true) }
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply a plan: book and move its visits.")

        @Argument(help: "The plan's id.") var id: Int
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient { try await PlanCommand.apply(id, api: try client.client(), json: json) }
        }
    }

    struct WhatIfRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "what-if",
            abstract: "Compare KPIs with changed inputs, applying nothing: truckroll plan what-if --unavailable 3 --extra-like 5 --changed-budget 2.")

        @OptionGroup var run: RunOptions
        @Option(help: "Technicians taken out: ids separated by commas.") var unavailable: String?
        @Option(name: .customLong("extra-like"), help: "Add a technician like each of these: ids separated by commas.") var extraLike: String?
        @Option(name: .customLong("changed-budget"), help: "Solve the changed run with this disruption budget.") var changedBudget: Int?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                var body = try run.body()
                var whatIf: JSONObject = [:]
                if let unavailable { whatIf["unavailable_technician_ids"] = .array(try RunOptions.ids(unavailable, option: "--unavailable").map { .number(Double($0)) }) }
                if let extraLike { whatIf["extra_technicians_like"] = .array(try RunOptions.ids(extraLike, option: "--extra-like").map { .number(Double($0)) }) }
                if let changedBudget { whatIf["disruption_budget"] = .number(Double(changedBudget)) }
                guard !whatIf.isEmpty else { throw ValidationError("what-if: give --unavailable, --extra-like or --changed-budget") }
                body["what_if"] = .object(whatIf)
                let plan = try await PlanCommand.compute(body, api: try client.client(), quiet: json)
                if json { Output.json(.object(plan)) } else { PlanCommand.printSummary(plan) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest planning runs.")

        @Option(help: "queued, running, done, failed or applied.") var status: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let page = try await client.client().send("GET", "v1/plans", query: status.map { [("status", $0)] } ?? []).json()
                let items = page.objectValue?["items"]?.arrayValue?.compactMap(\.objectValue) ?? []
                if json { Output.json(.array(items.map(JSONValue.object))); return }
                Output.table(items.map { item in
                    var row = item
                    row["downtime_cost"] = item["kpis"]?.objectValue?["downtime_cost"]
                    row["unassigned"] = item["kpis"]?.objectValue?["unassigned"]
                    return row
                }, columns: ["id", "kind", "trigger", "status", "created_at", "elapsed_seconds", "downtime_cost", "unassigned"])
            }
        }
    }

    // MARK: shared

    /// Queues a run and waits for it, showing the elapsed time and the best objective on a terminal.
    static func compute(_ body: JSONObject, api: APIClient, quiet: Bool) async throws -> JSONObject {
        let created = try await api.sendRetrying("POST", "v1/plans", body: .object(body), headers: ["Idempotency-Key": UUID().uuidString]).json()
        guard let id = created.objectValue?["id"]?.integerValue else { throw ValidationError("the server did not return a plan id") }
        let live = !quiet && isatty(STDERR_FILENO) == 1
        while true {
            let plan = try await api.send("GET", "v1/plans/\(id)").json().objectValue ?? [:]
            let status = plan["status"]?.stringValue ?? ""
            if live {
                let elapsed = plan["elapsed_seconds"]?.numberValue.map { String(format: "%.1f s", $0) } ?? "-"
                let best = plan["best_objective"]?.numberValue.map { money($0) } ?? "-"
                FileHandle.standardError.write(Data("\rplan \(id): \(status), elapsed \(elapsed), best cost so far \(best)   ".utf8))
            }
            switch status {
            case "done", "applied":
                if live { FileHandle.standardError.write(Data("\n".utf8)) }
                return plan
            case "failed":
                if live { FileHandle.standardError.write(Data("\n".utf8)) }
                throw ValidationError("plan \(id) failed: \(plan["error"]?.stringValue ?? "no reason given")")
            default:
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    static func apply(_ id: Int, api: APIClient, json: Bool) async throws {
        let report = try await api.send("POST", "v1/plans/\(id)/apply").json()
        if json { Output.json(report); return }
        let fields = report.objectValue ?? [:]
        print("plan \(id) applied: \(Output.text(fields["created"])) visits booked, \(Output.text(fields["moved"])) moved, "
              + "\(Output.text(fields["cancelled"])) cancelled")
        for item in fields["skipped"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            print("  not applied: request \(Output.text(item["request_id"])): \(Output.text(item["reason"]))")
        }
    }

    static func money(_ value: Double) -> String {
        let number = NumberFormatter()
        number.numberStyle = .decimal
        number.maximumFractionDigits = 0
        return number.string(from: NSNumber(value: value.rounded())) ?? String(Int(value.rounded()))
    }

    /// KPIs side by side, then (optionally) the routes and what is left out.
    static func printSummary(_ plan: JSONObject, routes: Bool = false) {
        let result = plan["result"]?.objectValue ?? [:]
        print("plan \(Output.text(plan["id"])) (\(Output.text(plan["kind"])), \(Output.text(plan["status"]))): "
              + "\(Output.text(result["horizon_start"])) to \(Output.text(result["horizon_end"])); travel: \(Output.text(result["travel_model"]))")
        let columns: [(String, String)] = [("kpis", "this plan"), ("baseline", "without the changes"), ("current_plan", "current plan"),
                                           ("naive_dispatch", "naive dispatch")]
        let shown = columns.filter { result[$0.0]?.objectValue != nil }
        let figures: [(String, String, (Double) -> String)] = [
            ("downtime_cost", "downtime cost", money), ("sla_breaches", "SLA breaches", { String(Int($0)) }),
            ("sla_at_risk", "SLA at risk", { String(Int($0)) }), ("travel_minutes", "travel (min)", money),
            ("travel_km", "travel (km)", money), ("overtime_minutes", "overtime (min)", money),
            ("assigned", "planned", { String(Int($0)) }), ("unassigned", "left out", { String(Int($0)) }),
        ]
        let rows: [JSONObject] = figures.map { key, label, format in
            var row: JSONObject = ["figure": .string(label)]
            for (column, title) in shown {
                row[title] = result[column]?.objectValue?[key]?.numberValue.map { .string(format($0)) } ?? .null
            }
            return row
        }
        Output.table(rows, columns: ["figure"] + shown.map(\.1))
        if let current = result["current_plan"]?.objectValue?["downtime_cost"]?.numberValue,
           let naive = result["naive_dispatch"]?.objectValue?["downtime_cost"]?.numberValue,
           let mine = result["kpis"]?.objectValue?["downtime_cost"]?.numberValue, naive > 0 {
            print("downtime cost: \(String(format: "%.1f", 100 * (naive - mine) / naive)) % below the naive dispatch, "
                  + "\(money(current - mine)) below the current plan")
        }
        guard routes else { return }
        for route in result["routes"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            print("\n\(Output.text(route["technician_code"])) \(Output.text(route["technician_name"])): "
                  + "travel \(money(route["travel_minutes"]?.numberValue ?? 0)) min")
            for visit in route["visits"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                let time = "\(clock(visit["start"]))–\(clock(visit["end"]))"
                print("  \(time)  \(Output.text(visit["priority"])) #\(Output.text(visit["request_id"])) [\(Output.text(visit["change"]))] "
                      + "SLA \(Output.text(visit["sla"])), downtime \(money(visit["downtime_cost"]?.numberValue ?? 0)): \(Output.text(visit["summary"]))")
                print("      why: \(Output.text(visit["why"]))")
                for part in visit["bring_parts"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                    print("      bring \(Output.text(part["part_number"])) (\(Output.text(part["why"]))): \(Output.text(part["source"]))")
                }
            }
        }
        let unassigned = result["unassigned"]?.arrayValue?.compactMap(\.objectValue) ?? []
        if !unassigned.isEmpty { print("\nleft out:") }
        for item in unassigned {
            print("  \(Output.text(item["priority"])) #\(Output.text(item["request_id"])): \(Output.text(item["reason"]))")
        }
    }

    /// `HH:MM` (UTC) of a timestamp.
    static func clock(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, let date = Timestamp.parse(text) else { return "--:--" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }
}

/// `truckroll board`: the booked routes per technician as a text timeline.
struct BoardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board", abstract: "Today's routes per technician as a timeline, with downtime cost and SLA risk."
    )

    @Option(help: "Hours ahead to show.") var hours = 12
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let board = try await client.client().send("GET", "v1/board", query: [("hours", String(hours))]).json()
            if json { Output.json(board); return }
            let fields = board.objectValue ?? [:]
            let kpis = fields["kpis"]?.objectValue ?? [:]
            print("board \(PlanCommand.clock(fields["horizon_start"])) to \(PlanCommand.clock(fields["horizon_end"])) UTC: "
                  + "downtime cost \(PlanCommand.money(kpis["downtime_cost"]?.numberValue ?? 0)), "
                  + "SLA breaches \(Output.text(kpis["sla_breaches"])), at risk \(Output.text(kpis["sla_at_risk"])), "
                  + "calls without a visit \(Output.text(kpis["unassigned"]))")
            for route in fields["routes"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                let visits = route["visits"]?.arrayValue?.compactMap(\.objectValue) ?? []
                let line = visits.map { visit in
                    let mark = switch visit["sla"]?.stringValue { case "breached": "!!"; case "at_risk": "!"; default: "" }
                    return "\(PlanCommand.clock(visit["start"]))-\(PlanCommand.clock(visit["end"])) \(Output.text(visit["priority"]))"
                        + "#\(Output.text(visit["request_id"]))\(mark) \(PlanCommand.money(visit["downtime_cost"]?.numberValue ?? 0))"
                }.joined(separator: " ─ ")
                print("\(Output.text(route["technician_code"]).padding(toLength: 8, withPad: " ", startingAt: 0)) │ \(line)")
            }
            print("(!! SLA breached, ! at risk; figures are downtime cost from the outage to the planned end)")
        }
    }
}
