import ArgumentParser
import Foundation
import RouteOptimization

/// `truckroll optimize`: solves one `fsd-instance/1` file and writes an `fsd-solution/1` file.
public struct OptimizeCommand: AsyncParsableCommand {
    /// Command name and help.
    public static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Assign and order jobs to minimise weighted downtime (or travel) on an fsd-instance/1 file.",
        discussion: "Prints one JSON line: objective, assigned, unassigned, travel, seconds. Exit code 2 on malformed input."
    )

    /// Instance file (`fsd-instance/1`).
    @Option(name: .long, help: "Instance file (fsd-instance/1).")
    public var instance: String

    /// Solution file to write (`fsd-solution/1`).
    @Option(name: .long, help: "Solution file to write (fsd-solution/1).")
    public var out: String

    /// Wall-clock budget in seconds, from reading the instance to writing the solution.
    @Option(name: .long, help: "Time limit in seconds, from reading the instance to writing the solution.")
    public var timeLimit: Double = 10

    /// Random seed.
    @Option(name: .long, help: "Random seed; equal seeds and --iterations give equal plans.")
    public var seed: UInt64 = 1

    /// Parallel independent searches: two by default, one per core of the two-core machines Truckroll targets.
    /// A fixed default, not the machine's core count, keeps a seed and iteration limit giving the same plan
    /// everywhere.
    @Option(name: .long, help: "Parallel independent searches (seeds seed, seed+1, ...); the best plan is kept. 1 for a single core.")
    public var threads: Int = 2

    /// Iteration limit per search.
    @Option(name: .long, help: "Iteration limit per search (with a time limit, whichever comes first).")
    public var iterations: Int?

    /// Write the construction heuristic's plan without improving it.
    @Flag(name: .long, help: "Stop after the construction heuristic (measures time to the first feasible plan).")
    public var constructOnly = false

    /// Where to write the explanation of every job (JSON Lines), if anywhere.
    @Option(name: .long, help: "Write one JSON line per job explaining its assignment or why it is unassigned.")
    public var explanations: String?

    /// Creates the command with default options.
    public init() {}

    /// Rejects search options that cannot run.
    public func validate() throws {
        try validateSearchOptions(timeLimit: timeLimit, threads: threads, iterations: iterations)
    }

    /// Runs the command.
    /// - Throws: `ExitCode(2)` on malformed input, `ExitCode(1)` when the solution cannot be written.
    public func run() async throws {
        let run = try await solve(instancePath: instance, timeLimit: timeLimit, seed: seed, threads: threads, iterations: iterations, constructOnly: constructOnly)
        do {
            try run.solutionJSON(seed: seed, threads: threads).write(to: URL(fileURLWithPath: out))
        } catch {
            printError("out: cannot write \(out): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        if let explanations {
            do {
                let lines = try run.optimizer.explain(run.plan).map { explanationLine($0, problem: run.instance.problem) }
                try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: explanations))
            } catch {
                printError("explanations: cannot write \(explanations): \(error)")
                throw ExitCode(1)
            }
        }
        print(run.summaryLine(extra: ["seed": "\(seed)", "threads": "\(threads)"]))
    }

    private func explanationLine(_ explanation: JobExplanation, problem: RoutingProblem) -> String {
        let job = "\"job\": \"\(problem.jobs[explanation.job].id)\""
        switch explanation.outcome {
        case .assigned(let assigned):
            var fields = [job, "\"status\": \"assigned\"", "\"tech\": \"\(problem.technicians[assigned.technician].id)\"", "\"marginal_cost\": \(assigned.marginalCost)"]
            if let alternative = assigned.bestAlternative {
                fields.append("\"best_alternative\": {\"tech\": \"\(problem.technicians[alternative.technician].id)\", \"marginal_cost\": \(alternative.marginalCost)}")
            }
            switch assigned.reason {
            case .cheaper(let saving): fields.append("\"reason\": \"cheaper\", \"saving\": \(saving)")
            case .noOtherQualifiedTechnician: fields.append("\"reason\": \"no_other_qualified_technician\"")
            case .noRoomWithOtherTechnicians: fields.append("\"reason\": \"no_room_with_other_technicians\"")
            case .heldInPlace: fields.append("\"reason\": \"held_in_place\"")
            }
            return "{" + fields.joined(separator: ", ") + "}"
        case .unassigned(let reason):
            let text: String
            switch reason {
            case .noTechnicianWithSkills: text = "\"reason\": \"no_technician_with_skills\""
            case .exceedsCapacity: text = "\"reason\": \"exceeds_capacity\""
            case .windowUnreachable: text = "\"reason\": \"window_unreachable\""
            case .dominatedByMoreUrgentWork(let cost): text = "\"reason\": \"dominated_by_more_urgent_work\", \"cheapest_insertion_cost\": \(cost.map { "\($0)" } ?? "null")"
            }
            return "{" + [job, "\"status\": \"unassigned\"", text].joined(separator: ", ") + "}"
        }
    }
}

/// One solved instance: what was solved, the outcome and how long it took.
struct SolvedInstance {
    var instance: BenchInstance
    var optimizer: RouteOptimizer
    var plan: Plan
    var cost: PlanCost
    var iterations: Int
    var seconds: Double

    func solutionJSON(seed: UInt64, threads: Int) -> Data {
        instance.solutionJSON(plan: plan, objective: cost.total, solver: [
            "name": "truckroll", "algorithm": "SISR (Christiaens & Vanden Berghe 2020)",
            "seed": "\(seed)", "threads": "\(threads)", "iterations": "\(iterations)",
        ])
    }

    func summaryLine(extra: [String: String]) -> String {
        var fields: [(String, String)] = [
            ("instance", "\"\(instance.name)\""), ("objective", "\(cost.total)"), ("assigned", "\(cost.assigned)"),
            ("unassigned", "\(cost.unassigned)"), ("travel", "\(cost.travelDistance)"), ("routes_used", "\(cost.routesUsed)"),
            ("seconds", String(format: "%.3f", seconds)), ("iterations", "\(iterations)"),
        ]
        fields += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}

/// Throws a `ValidationError` naming the first search option that cannot run: a time limit that is not a positive
/// number of seconds, fewer than one thread, or an iteration limit below one.
func validateSearchOptions(timeLimit: Double, threads: Int, iterations: Int?) throws {
    guard timeLimit > 0, timeLimit.isFinite else { throw ValidationError("time-limit: must be a positive number of seconds") }
    guard threads >= 1 else { throw ValidationError("threads: must be at least 1") }
    if let iterations, iterations < 1 { throw ValidationError("iterations: must be at least 1") }
}

/// Reads, parses and solves an instance within `timeLimit` seconds of wall time (measured with `ContinuousClock`).
/// - Throws: `ExitCode(2)` after printing a one-line message naming the field when the input is malformed.
func solve(instancePath: String, timeLimit: Double, seed: UInt64, threads: Int, iterations: Int?, constructOnly: Bool) async throws -> SolvedInstance {
    let clock = ContinuousClock()
    let started = clock.now
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: instancePath))
    } catch {
        printError("instance: cannot read \(instancePath)")
        throw ExitCode(2)
    }
    let instance: BenchInstance
    let optimizer: RouteOptimizer
    do {
        instance = try BenchInstance(json: data)
        optimizer = try RouteOptimizer(problem: instance.problem)
    } catch let error as BenchInstanceError {
        printError(error.description)
        throw ExitCode(2)
    } catch {
        printError("instance: \(error)")
        throw ExitCode(2)
    }
    // Keep a small margin for the final descent and for writing the solution.
    let searchBudget = max(0, timeLimit * 0.98 - 0.05)
    let limits = SearchLimits(maxIterations: iterations) {
        let elapsed = started.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return searchBudget > 0 ? seconds / searchBudget : 1
    }
    let options = OptimizerOptions(seed: seed, threads: threads, limits: limits)
    let plan: Plan
    let cost: PlanCost
    var iterationsDone = 0
    do {
        if constructOnly {
            plan = try optimizer.construct(options)
            cost = try optimizer.evaluate(plan).cost
        } else {
            let result = try await optimizer.optimize(options)
            plan = result.plan
            cost = result.cost
            iterationsDone = result.iterations
        }
    } catch {
        printError("instance: \(error)")
        throw ExitCode(2)
    }
    let elapsed = started.duration(to: clock.now)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return SolvedInstance(instance: instance, optimizer: optimizer, plan: plan, cost: cost, iterations: iterationsDone, seconds: seconds)
}

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
