import Foundation
import RouteOptimization

/// A malformed `fsd-instance/1` document, naming the field at fault.
public struct BenchInstanceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// JSON path of the offending field, such as `jobs[3].tw`.
    public var field: String
    /// What is wrong with it.
    public var reason: String

    /// One line: `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

/// An `fsd-instance/1` benchmark instance (see `../shared/bench/README.md`) converted to a `RoutingProblem`:
/// Euclidean travel (1 unit = 1 minute), one shift per technician, skills without levels, one window per job.
public struct BenchInstance: Sendable {
    /// Instance name.
    public var name: String
    /// The problem.
    public var problem: RoutingProblem
    /// `true` for the travel objective (distance + vehicle cost), `false` for downtime.
    public var isTravelObjective: Bool

    /// Largest node count for which a dense travel matrix is built; above it distances are computed on demand.
    static let denseMatrixLimit = 2500

    /// Parses an instance.
    /// - Parameter data: the JSON document.
    /// - Throws: `BenchInstanceError` naming the first malformed field.
    /// - Complexity: O(jobs × technicians) plus O(nodes²) for the matrix of instances up to `denseMatrixLimit` nodes.
    public init(json data: Data) throws(BenchInstanceError) {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw BenchInstanceError(field: "(root)", reason: "expected a JSON object")
            }
            root = object
        } catch let error as BenchInstanceError {
            throw error
        } catch {
            throw BenchInstanceError(field: "(root)", reason: "unreadable JSON")
        }
        let reader = FieldReader()
        if let format = root["format"] { guard (format as? String) == "fsd-instance/1" else { throw reader.fail("format", "only fsd-instance/1 is accepted") } }
        if let travel = root["travel"] { guard (travel as? String) == "euclidean" else { throw reader.fail("travel", "only euclidean is accepted") } }
        name = (root["name"] as? String) ?? ""

        var objective = ObjectiveWeights.downtime
        isTravelObjective = false
        if let rawObjective = root["objective"] {
            guard let spec = rawObjective as? [String: Any] else { throw reader.fail("objective", "expected an object") }
            switch spec["kind"] as? String {
            case "downtime":
                guard spec.keys.allSatisfy({ $0 == "kind" }) else { throw reader.fail("objective", "unknown field for kind downtime") }
            case "travel":
                guard spec.keys.allSatisfy({ $0 == "kind" || $0 == "vehicle_cost" }) else { throw reader.fail("objective", "unknown field for kind travel") }
                let vehicleCost = try spec["vehicle_cost"].map { value throws(BenchInstanceError) in try reader.number(value, "objective.vehicle_cost") } ?? 0
                guard vehicleCost >= 0 else { throw reader.fail("objective.vehicle_cost", "must be ≥ 0") }
                objective = .travelOnly(fixedCostPerRoute: vehicleCost)
                isTravelObjective = true
            default:
                throw reader.fail("objective.kind", "expected \"downtime\" or \"travel\"")
            }
        }
        let defaultPenalty = try root["unassigned_penalty"].map { value throws(BenchInstanceError) in try reader.number(value, "unassigned_penalty") } ?? 0

        guard let rawTechnicians = root["technicians"] as? [Any] else { throw reader.fail("technicians", "expected a list") }
        guard let rawJobs = root["jobs"] as? [Any] else { throw reader.fail("jobs", "expected a list") }
        var points: [(x: Double, y: Double)] = []
        var technicians: [Technician] = []
        var technicianIDs = Set<String>()
        for (index, raw) in rawTechnicians.enumerated() {
            let path = "technicians[\(index)]"
            guard let object = raw as? [String: Any] else { throw reader.fail(path, "expected an object") }
            let id = try reader.string(object["id"], "\(path).id")
            guard technicianIDs.insert(id).inserted else { throw reader.fail("\(path).id", "duplicate id \(id)") }
            let start = try reader.point(object["start"], "\(path).start")
            let end = try object["end"].map { value throws(BenchInstanceError) in try reader.point(value, "\(path).end") } ?? start
            let shift = try reader.pair(object["shift"], "\(path).shift")
            guard shift.0 <= shift.1 else { throw reader.fail("\(path).shift", "start after end") }
            let skills = try reader.strings(object["skills"], "\(path).skills")
            let capacity = try object["capacity"].map { value throws(BenchInstanceError) in try reader.number(value, "\(path).capacity") }
            let startNode = points.count
            points.append(start)
            var endNode = startNode
            if end != start {
                endNode = points.count
                points.append(end)
            }
            technicians.append(Technician(
                id: Technician.ID(id), startNode: startNode, endNode: endNode, shifts: [Shift(start: shift.0, end: shift.1)],
                skills: Dictionary(skills.map { ($0, 1) }, uniquingKeysWith: { first, _ in first }), capacity: capacity))
        }
        var jobs: [Job] = []
        var jobIDs = Set<String>()
        for (index, raw) in rawJobs.enumerated() {
            let path = "jobs[\(index)]"
            guard let object = raw as? [String: Any] else { throw reader.fail(path, "expected an object") }
            let id = try reader.string(object["id"], "\(path).id")
            guard jobIDs.insert(id).inserted else { throw reader.fail("\(path).id", "duplicate id \(id)") }
            let location = try reader.point(object["loc"], "\(path).loc")
            let service = try reader.number(object["service"], "\(path).service")
            guard service >= 0 else { throw reader.fail("\(path).service", "must be ≥ 0") }
            let window = try reader.pair(object["tw"], "\(path).tw")
            guard window.0 <= window.1 else { throw reader.fail("\(path).tw", "a > b") }
            let weight = try reader.number(object["weight"], "\(path).weight")
            guard weight >= 0 else { throw reader.fail("\(path).weight", "must be ≥ 0") }
            let demand = try object["demand"].map { value throws(BenchInstanceError) in try reader.number(value, "\(path).demand") } ?? 0
            let penalty = try object["penalty"].map { value throws(BenchInstanceError) in try reader.number(value, "\(path).penalty") } ?? defaultPenalty
            let skills = try reader.strings(object["skills"], "\(path).skills")
            jobs.append(Job(
                id: Job.ID(id), node: points.count, serviceMinutes: service, timeWindows: [TimeWindow(earliest: window.0, latest: window.1)],
                requiredSkills: skills.map { SkillRequirement(skill: $0) }, downtimeWeight: weight, unassignedPenalty: penalty, demand: demand))
            points.append(location)
        }
        let travel = points.count <= BenchInstance.denseMatrixLimit ? TravelMatrix.denseEuclidean(points) : TravelMatrix(euclideanPoints: points)
        problem = RoutingProblem(technicians: technicians, jobs: jobs, travel: travel, objective: objective)
    }

    /// The `fsd-solution/1` document of a plan of this instance.
    /// - Parameters:
    ///   - plan: the plan.
    ///   - objective: the claimed objective.
    ///   - solver: free-form metadata.
    /// - Returns: UTF-8 JSON.
    public func solutionJSON(plan: Plan, objective: Double, solver: [String: String]) -> Data {
        func quoted(_ text: String) -> String {
            var escaped = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped + "\""
        }
        let jobIDs = problem.jobs.map { quoted($0.id.rawValue) }
        let routeLines = plan.routes.map { route in
            "    {\"tech\": \(quoted(problem.technicians[route.technician].id.rawValue)), \"jobs\": [\(route.jobs.map { jobIDs[$0] }.joined(separator: ", "))]}"
        }
        let solverFields = solver.sorted { $0.key < $1.key }.map { "\(quoted($0.key)): \(quoted($0.value))" }.joined(separator: ", ")
        let text = """
        {
          "format": "fsd-solution/1",
          "instance": \(quoted(name)),
          "routes": [
        \(routeLines.joined(separator: ",\n"))
          ],
          "unassigned": [\(plan.unassigned.map { jobIDs[$0] }.joined(separator: ", "))],
          "objective": \(objective),
          "solver": {\(solverFields)}
        }

        """
        return Data(text.utf8)
    }
}

/// Typed reads of JSON values that fail with the field's path.
private struct FieldReader {
    func fail(_ field: String, _ reason: String) -> BenchInstanceError {
        BenchInstanceError(field: field, reason: reason)
    }

    func number(_ value: Any?, _ field: String) throws(BenchInstanceError) -> Double {
        guard let value else { throw fail(field, "missing") }
        guard let number = value as? NSNumber else { throw fail(field, "expected a number") }
        let double = number.doubleValue
        guard double.isFinite else { throw fail(field, "expected a finite number") }
        return double
    }

    func string(_ value: Any?, _ field: String) throws(BenchInstanceError) -> String {
        guard let value else { throw fail(field, "missing") }
        guard let text = value as? String else { throw fail(field, "expected a string") }
        return text
    }

    func pair(_ value: Any?, _ field: String) throws(BenchInstanceError) -> (Double, Double) {
        guard let value else { throw fail(field, "missing") }
        guard let list = value as? [Any], list.count == 2 else { throw fail(field, "expected [a, b]") }
        return (try number(list[0], field), try number(list[1], field))
    }

    func point(_ value: Any?, _ field: String) throws(BenchInstanceError) -> (x: Double, y: Double) {
        let (x, y) = try pair(value, field)
        return (x, y)
    }

    func strings(_ value: Any?, _ field: String) throws(BenchInstanceError) -> [String] {
        guard let value else { return [] }
        guard let list = value as? [Any] else { throw fail(field, "expected a list of strings") }
        var result: [String] = []
        for item in list {
            guard let text = item as? String else { throw fail(field, "expected a list of strings") }
            result.append(text)
        }
        return result
    }
}
