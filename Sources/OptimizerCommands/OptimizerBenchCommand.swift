import ArgumentParser
import Foundation
import RouteOptimization

/// `truckroll bench optimizer`: solves every instance of a benchmark family and compares with `REFERENCE.csv`.
public struct OptimizerBenchCommand: AsyncParsableCommand {
    /// Command name and help.
    public static let configuration = CommandConfiguration(
        commandName: "optimizer",
        abstract: "Run the optimiser on every instance of a family in the bench directory and compare with REFERENCE.csv.",
        discussion: "One line per instance, then `geomean ratio to reference: X` over instances that have a reference."
    )

    /// Family folder under `instances/` (fs, ccvrp, solomon).
    @Option(name: .long, help: "Family: a folder of <bench-dir>/instances (fs, ccvrp, solomon).")
    public var family: String

    /// Time limit per instance.
    @Option(name: .long, help: "Time limit per instance in seconds.")
    public var timeLimit: Double = 10

    /// Random seed.
    @Option(name: .long, help: "Random seed.")
    public var seed: UInt64 = 1

    /// Parallel searches per instance, two by default as for `optimize`.
    @Option(name: .long, help: "Parallel independent searches per instance; 1 for single-thread figures.")
    public var threads: Int = 2

    /// Iteration limit per search.
    @Option(name: .long, help: "Iteration limit per search.")
    public var iterations: Int?

    /// Benchmark directory.
    @Option(name: .long, help: "Benchmark directory (holds instances/ and REFERENCE.csv).")
    public var benchDir: String = "../shared/bench"

    /// Where to write the solutions, one `<name>.json` per instance.
    @Option(name: .long, help: "Directory to write solutions to (checked with tools/evaluate.py).")
    public var solutionsDir: String?

    /// Only instances whose name contains this text.
    @Option(name: .long, help: "Only instances whose file name contains this text.")
    public var filter: String?

    /// Creates the command with default options.
    public init() {}

    /// Rejects search options that cannot run.
    public func validate() throws {
        try validateSearchOptions(timeLimit: timeLimit, threads: threads, iterations: iterations)
    }

    /// Runs the benchmark.
    /// - Throws: `ExitCode(2)` when the family folder cannot be read or an instance is malformed.
    public func run() async throws {
        let base = URL(fileURLWithPath: benchDir)
        let folder = base.appendingPathComponent("instances").appendingPathComponent(family)
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && (filter.map($0.contains) ?? true) }.sorted()
        } catch {
            printError("family: cannot read \(folder.path)")
            throw ExitCode(2)
        }
        let references = ReferenceTable(csv: (try? String(contentsOf: base.appendingPathComponent("REFERENCE.csv"), encoding: .utf8)) ?? "")
        if let solutionsDir {
            try? FileManager.default.createDirectory(atPath: solutionsDir, withIntermediateDirectories: true)
        }
        var referenceLogs: [Double] = [], boundLogs: [Double] = []
        var vehicles = 0, referenceVehicles = 0, distanceGaps: [Double] = []
        print("family \(family), time limit \(timeLimit) s, seed \(seed), threads \(threads)")
        for file in files {
            let run = try await solve(instancePath: folder.appendingPathComponent(file).path, timeLimit: timeLimit, seed: seed, threads: threads, iterations: iterations, constructOnly: false)
            if let solutionsDir {
                try? run.solutionJSON(seed: seed, threads: threads).write(to: URL(fileURLWithPath: solutionsDir).appendingPathComponent(file))
            }
            let name = run.instance.name.isEmpty ? String(file.dropLast(5)) : run.instance.name
            let reference = references.rows[name]
            var line = "\(name) objective=\(format(run.cost.total))"
            if let value = reference?.value {
                let ratio = run.cost.total / value
                referenceLogs.append(naturalLog(ratio))
                line += " ref=\(format(value)) ratio=\(String(format: "%.4f", ratio)) gap=\(String(format: "%+.2f", 100 * (ratio - 1)))%"
            } else {
                line += " ref=- ratio=- gap=-"
            }
            if let bound = reference?.lowerBound, bound > 0 {
                let ratio = run.cost.total / bound
                boundLogs.append(naturalLog(ratio))
                line += " lb=\(format(bound)) lb_ratio=\(String(format: "%.4f", ratio))"
            }
            line += " seconds=\(String(format: "%.2f", run.seconds)) peak_mb=\(String(format: "%.1f", peakMemoryMegabytes()))"
            line += " unassigned=\(run.cost.unassigned)"
            if let referenceUnassigned = reference?.unassigned { line += " ref_unassigned=\(referenceUnassigned)" }
            if run.instance.isTravelObjective {
                line += " vehicles=\(run.cost.routesUsed) travel=\(String(format: "%.4f", run.cost.travelDistance))"
                if let refVehicles = reference?.vehicles, let refTravel = reference?.travel {
                    vehicles += run.cost.routesUsed
                    referenceVehicles += refVehicles
                    distanceGaps.append(100 * (run.cost.travelDistance / refTravel - 1))
                    line += " ref_vehicles=\(refVehicles) ref_travel=\(String(format: "%.4f", refTravel))"
                }
            }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        if !boundLogs.isEmpty {
            print("geomean ratio to lower bound: \(String(format: "%.4f", exponential(boundLogs.reduce(0, +) / Double(boundLogs.count))))")
        }
        if referenceVehicles > 0 {
            let meanGap = distanceGaps.reduce(0, +) / Double(distanceGaps.count)
            print("vehicles: \(vehicles) (reference \(referenceVehicles), ratio \(String(format: "%.4f", Double(vehicles) / Double(referenceVehicles)))); mean distance gap \(String(format: "%+.2f", meanGap))%")
        }
        let geomean = referenceLogs.isEmpty ? Double.nan : exponential(referenceLogs.reduce(0, +) / Double(referenceLogs.count))
        print("geomean ratio to reference: \(String(format: "%.4f", geomean))")
    }

    private func format(_ value: Double) -> String { String(format: "%.4f", value) }
}

private func naturalLog(_ value: Double) -> Double { Foundation.log(value) }
private func exponential(_ value: Double) -> Double { Foundation.exp(value) }

/// Peak resident memory of this process in MB: `VmHWM` from `/proc/self/status`, else `getrusage`.
public func peakMemoryMegabytes() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
        return kilobytes / 1024
    }
    var usage = rusage()
    #if canImport(Darwin)
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
    #endif
}

/// Rows of `REFERENCE.csv` by instance name.
struct ReferenceTable {
    struct Row {
        var value: Double?
        var vehicles: Int?
        var travel: Double?
        var unassigned: Int?
        var lowerBound: Double?
    }

    var rows: [String: Row] = [:]

    init(csv: String) {
        let lines = csv.split(separator: "\n").map { Self.fields(of: String($0)) }
        guard let header = lines.first else { return }
        let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        func value(_ row: [String], _ name: String) -> String? {
            guard let index = column[name], index < row.count, !row[index].isEmpty else { return nil }
            return row[index]
        }
        for row in lines.dropFirst() {
            guard let name = value(row, "name") else { continue }
            rows[name] = Row(
                value: value(row, "ref_value").flatMap(Double.init), vehicles: value(row, "ref_vehicles").flatMap(Int.init),
                travel: value(row, "ref_travel").flatMap(Double.init), unassigned: value(row, "ref_unassigned").flatMap(Int.init),
                lowerBound: value(row, "lower_bound").flatMap(Double.init))
        }
    }

    /// Splits one CSV line, honouring double-quoted fields.
    static func fields(of line: String) -> [String] {
        var fields: [String] = [], current = "", quoted = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            switch character {
            case "\"" where quoted:
                quoted = false
            case "\"":
                quoted = true
            case "," where !quoted:
                fields.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
