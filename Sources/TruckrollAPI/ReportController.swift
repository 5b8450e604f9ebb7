import FoundationEssentials
import Hummingbird
import TruckrollDomain
import TruckrollStore

/// `GET /v1/reports/{name}?from=…&to=…&by=…&<filter>=…[&format=csv|svg][&per=day|week|month]`: support managers'
/// figures, as JSON, CSV or an SVG chart (also for `Accept: image/svg+xml`): bars of the report's headline figure per
/// group, or with `per`, one line per group across the slices of the period.
public struct ReportController: Sendable {
    let reports: ReportStore

    public init(reports: ReportStore) {
        self.reports = reports
    }

    public func addRoutes(to group: RouterGroup<TruckrollRequestContext>) {
        group.get("reports/:name") { request, context in
            let principal = try context.requirePrincipal()
            guard let nameText = context.parameters.get("name"), let name = ReportStore.Name(rawValue: nameText) else {
                throw Problem.notFound("reports: \(ReportStore.Name.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var errors: [Problem.FieldError] = []
            var from: Date?
            var to: Date?
            var grouping = ReportStore.Grouping.none
            var format = request.headers[.accept]?.contains("image/svg+xml") == true ? "svg" : "json"
            var step: ReportStore.Step?
            var filters: [String: String] = [:]
            for (key, value) in request.uri.queryParameters {
                let value = String(value)
                switch key {
                case "from", "to":
                    guard let date = Self.instant(value) else {
                        errors.append(.init(field: String(key), message: "must be a date (2026-11-01) or an ISO 8601 timestamp"))
                        continue
                    }
                    if key == "from" { from = date } else { to = date }
                case "by":
                    guard let value = ReportStore.Grouping(rawValue: value) else {
                        errors.append(.init(field: "by", message: "must be one of \(ReportStore.Grouping.allCases.map(\.rawValue).joined(separator: ", "))"))
                        continue
                    }
                    grouping = value
                case "format":
                    guard ["json", "csv", "svg"].contains(value) else {
                        errors.append(.init(field: "format", message: "must be json, csv or svg"))
                        continue
                    }
                    format = value
                case "per":
                    guard let value = ReportStore.Step(rawValue: value) else {
                        errors.append(.init(field: "per", message: "must be day, week or month"))
                        continue
                    }
                    step = value
                default:
                    filters[String(key)] = value
                }
            }
            if from == nil { errors.append(.init(field: "from", message: "is required")) }
            if to == nil { errors.append(.init(field: "to", message: "is required")) }
            if step != nil, format != "svg" { errors.append(.init(field: "per", message: "is for charts (format=svg)")) }
            guard errors.isEmpty, let from, let to else { throw Problem.invalidRequest(errors, status: .badRequest) }
            let query = ReportStore.Query(from: from, to: to, grouping: grouping, filters: filters)
            if format == "svg" {
                let title = "\(name.rawValue) \(Self.day(from)) – \(Self.day(to))"
                    + (grouping == .none ? "" : " by \(grouping.rawValue)")
                let (figure, label) = name.headline
                let chart = if let step {
                    SVGChart.trend(try await registryCall { try await reports.trend(name, query, per: step, as: principal) }
                        .map { (Self.day($0.start), $0.rows) }, figure: figure, title: title + " per \(step.rawValue)", label: label)
                } else {
                    SVGChart.bars(try await registryCall { try await reports.run(name, query, as: principal) }, figure: figure, title: title, label: label)
                }
                return Response(status: .ok, headers: [.contentType: "image/svg+xml"],
                                body: .init(byteBuffer: ByteBuffer(string: chart.render())))
            }
            let rows = try await registryCall { try await reports.run(name, query, as: principal) }
            if format == "csv" {
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: Self.csv(rows))))
            }
            let body: JSONValue = ["report": .string(name.rawValue), "from": .string(Timestamp.format(from)), "to": .string(Timestamp.format(to)),
                                   "by": .string(grouping.rawValue), "rows": .array(rows.map(JSONValue.object))]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return jsonResponse(status: .ok, body: String(decoding: try encoder.encode(body), as: UTF8.self))
        }
    }

    /// The UTC day of an instant, `2026-11-01`.
    static func day(_ date: Date) -> String { String(Timestamp.format(date).prefix(10)) }

    /// A date (midnight UTC) or a timestamp.
    static func instant(_ text: String) -> Date? {
        if let date = CalendarDate(text) { return Timestamp.parse("\(date)T00:00:00Z") }
        return Timestamp.parse(text)
    }

    /// Rows as CSV: `group` first, then the figures in name order.
    static func csv(_ rows: [JSONObject]) -> String {
        let columns = ["group"] + Set(rows.flatMap(\.keys)).subtracting(["group"]).sorted()
        func cell(_ value: JSONValue?) -> String {
            switch value {
            case .string(let text)?: text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : text
            case .number(let number)?: number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
            case .bool(let flag)?: String(flag)
            default: ""
            }
        }
        return ([columns.joined(separator: ",")] + rows.map { row in columns.map { cell(row[$0]) }.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
    }
}
