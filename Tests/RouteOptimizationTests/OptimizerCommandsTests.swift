import ArgumentParser
import Foundation
import OptimizerCommands
import RouteOptimization
import Testing

@Suite("fsd-instance/1 parsing and the optimize command")
struct OptimizerCommandsTests {
    static let instanceJSON = """
    {
      "format": "fsd-instance/1", "name": "tiny", "travel": "euclidean", "unassigned_penalty": 100000,
      "technicians": [
        {"id": "T0", "start": [0, 0], "shift": [0, 540], "skills": ["hvac"]},
        {"id": "T1", "start": [10, 10], "end": [0, 0], "shift": [0, 540], "skills": ["electrical"], "capacity": 30}
      ],
      "jobs": [
        {"id": "J0", "loc": [3, 4], "service": 30, "tw": [0, 540], "skills": ["hvac"], "weight": 5},
        {"id": "J1", "loc": [6, 8], "service": 45, "tw": [60, 120], "weight": 2, "demand": 10},
        {"id": "J2", "loc": [10, 0], "service": 20.5, "tw": [0, 540], "skills": ["electrical"], "weight": 9, "demand": 25},
        {"id": "J3", "loc": [0, 10], "service": 60, "tw": [0, 30], "skills": ["plumbing"], "weight": 1, "penalty": 500}
      ]
    }
    """

    static func malformed(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(instanceJSON.utf8)) as? [String: Any])
        edit(&root)
        return try JSONSerialization.data(withJSONObject: root)
    }

    static func editJob(_ root: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var jobs = root["jobs"] as? [[String: Any]] ?? []
        edit(&jobs[1])
        root["jobs"] = jobs
    }

    @Test("a well-formed instance becomes the expected problem")
    func parsesInstance() throws {
        let instance = try BenchInstance(json: Data(Self.instanceJSON.utf8))
        #expect(instance.name == "tiny")
        #expect(!instance.isTravelObjective)
        #expect(instance.problem.jobs.count == 4 && instance.problem.technicians.count == 2)
        #expect(instance.problem.jobs[3].unassignedPenalty == 500)
        #expect(instance.problem.jobs[0].unassignedPenalty == 100_000)
        #expect(instance.problem.technicians[1].capacity == 30)
        #expect(instance.problem.travel.time(instance.problem.technicians[0].startNode, instance.problem.jobs[0].node) == 5)
    }

    /// One way to break the instance, and the field the error must name.
    enum Breakage: String, CaseIterable, Sendable {
        case missingService = "jobs[1].service"
        case reversedWindow = "jobs[1].tw"
        case negativeWeight = "jobs[1].weight"
        case duplicateJobID = "jobs[1].id"
        case unknownObjective = "objective.kind"
        case wrongFormat = "format"
        case textShift = "technicians[0].shift"

        func apply(to root: inout [String: Any]) {
            switch self {
            case .missingService: editJob(&root) { $0["service"] = nil }
            case .reversedWindow: editJob(&root) { $0["tw"] = [200, 100] }
            case .negativeWeight: editJob(&root) { $0["weight"] = -1 }
            case .duplicateJobID: editJob(&root) { $0["id"] = "J0" }
            case .unknownObjective: root["objective"] = ["kind": "makespan"]
            case .wrongFormat: root["format"] = "other/2"
            case .textShift:
                var technicians = root["technicians"] as? [[String: Any]] ?? []
                technicians[0]["shift"] = "all day"
                root["technicians"] = technicians
            }
        }
    }

    @Test("malformed input is rejected naming the field", arguments: Breakage.allCases)
    func rejectsMalformed(breakage: Breakage) throws {
        let data = try Self.malformed { breakage.apply(to: &$0) }
        #expect(throws: BenchInstanceError.self) { try BenchInstance(json: data) }
        do {
            _ = try BenchInstance(json: data)
        } catch {
            #expect(error.field == breakage.rawValue)
        }
    }

    @Test("search options that cannot run are rejected naming the option; two searches run by default")
    func searchOptionsAreValidated() throws {
        let files = ["--instance", "in.json", "--out", "out.json"]
        #expect(try OptimizeCommand.parse(files).threads == 2)
        #expect(try OptimizerBenchCommand.parse(["--family", "fs"]).threads == 2)
        for (option, value) in [("threads", "0"), ("time-limit", "0"), ("time-limit", "inf"), ("iterations", "0")] {
            do {
                _ = try OptimizeCommand.parse(files + ["--\(option)", value])
                Issue.record("optimize --\(option) \(value) was accepted")
            } catch {
                #expect(OptimizeCommand.message(for: error).hasPrefix("\(option):"), "\(OptimizeCommand.message(for: error))")
            }
            do {
                _ = try OptimizerBenchCommand.parse(["--family", "fs", "--\(option)", value])
                Issue.record("bench optimizer --\(option) \(value) was accepted")
            } catch {
                #expect(OptimizerBenchCommand.message(for: error).hasPrefix("\(option):"), "\(OptimizerBenchCommand.message(for: error))")
            }
        }
    }

    @Test("optimize writes a solution that covers every job at the claimed objective")
    func optimizeCommandWritesSolution() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("optimize-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let instancePath = folder.appendingPathComponent("tiny.json").path
        let solutionPath = folder.appendingPathComponent("tiny.solution.json").path
        try Data(Self.instanceJSON.utf8).write(to: URL(fileURLWithPath: instancePath))
        let explanationsPath = folder.appendingPathComponent("tiny.explanations.jsonl").path
        let command = try OptimizeCommand.parse(["--instance", instancePath, "--out", solutionPath, "--iterations", "300", "--time-limit", "30", "--explanations", explanationsPath])
        try await command.run()
        let explanationLines = try String(contentsOfFile: explanationsPath, encoding: .utf8).split(separator: "\n")
        #expect(explanationLines.count == 4)
        #expect(explanationLines[3] == #"{"job": "J3", "status": "unassigned", "reason": "no_technician_with_skills"}"#)
        #expect(explanationLines[2].contains(#""tech": "T1""#) && explanationLines[2].contains(#""reason": "no_other_qualified_technician""#))

        let solution = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: solutionPath))) as? [String: Any])
        #expect(solution["format"] as? String == "fsd-solution/1")
        #expect(solution["instance"] as? String == "tiny")
        let routes = try #require(solution["routes"] as? [[String: Any]])
        let unassigned = try #require(solution["unassigned"] as? [String])
        // Recompute the downtime objective from the instance's own numbers.
        let locations: [String: (Double, Double)] = ["J0": (3, 4), "J1": (6, 8), "J2": (10, 0), "J3": (0, 10)]
        let services: [String: Double] = ["J0": 30, "J1": 45, "J2": 20.5, "J3": 60]
        let windows: [String: (Double, Double)] = ["J0": (0, 540), "J1": (60, 120), "J2": (0, 540), "J3": (0, 30)]
        let weights: [String: Double] = ["J0": 5, "J1": 2, "J2": 9, "J3": 1]
        let homes: [String: (Double, Double)] = ["T0": (0, 0), "T1": (10, 10)]
        let ends: [String: (Double, Double)] = ["T0": (0, 0), "T1": (0, 0)]
        var objective = unassigned.reduce(0.0) { $0 + ($1 == "J3" ? 500 : 100_000) }
        var served = Set(unassigned)
        for route in routes {
            let technician = try #require(route["tech"] as? String)
            let jobs = try #require(route["jobs"] as? [String])
            var time = 0.0
            var here = try #require(homes[technician])
            for job in jobs {
                let there = try #require(locations[job])
                let start = max(time + ((here.0 - there.0) * (here.0 - there.0) + (here.1 - there.1) * (here.1 - there.1)).squareRoot(), windows[job]!.0)
                #expect(start <= windows[job]!.1 + 1e-6, "\(job) starts at \(start)")
                time = start + services[job]!
                objective += weights[job]! * time
                here = there
                #expect(served.insert(job).inserted)
            }
            let end = ends[technician]!
            #expect(time + ((here.0 - end.0) * (here.0 - end.0) + (here.1 - end.1) * (here.1 - end.1)).squareRoot() <= 540)
        }
        #expect(served == Set(locations.keys))
        #expect(unassigned == ["J3"])
        let claimed = try #require(solution["objective"] as? Double)
        #expect(abs(claimed - objective) <= 1e-6 * objective)
    }

    @Test("optimize exits with code 2 on a malformed instance")
    func optimizeCommandRejectsMalformed() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("optimize-bad-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let instancePath = folder.appendingPathComponent("bad.json").path
        try Data(#"{"format": "fsd-instance/1", "technicians": [], "jobs": [{"id": "J0"}]}"#.utf8).write(to: URL(fileURLWithPath: instancePath))
        let command = try OptimizeCommand.parse(["--instance", instancePath, "--out", folder.appendingPathComponent("out.json").path])
        await #expect(throws: ExitCode(2)) { try await command.run() }
    }
}
