import ArgumentParser
import Foundation
import LibPQ
import TruckrollDomain
import TruckrollStore

/// `truckroll import RESOURCE FILE.csv`: bulk-load registry records, all or nothing.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a CSV file of one resource into the database, all or nothing.",
        discussion: """
            The first line names the fields (as in the API). A reference is given by id (site_id) or by the \
            referenced record's code (site, equipment_model, part, vehicle, depot, technician, vendor, customer; \
            units by serial number; departments by name within the customer). Lists are separated by ';'. \
            Nested values (skills, calendar, coverage, targets) are JSON. Every problem is listed with its line; \
            nothing is stored unless the whole file is valid. Resources: \
            \(RegistryImporter.importable.joined(separator: ", ")).
            """
    )

    @Argument(help: "The resource, e.g. units.") var resource: ResourceName
    @Argument(help: "The CSV file.") var file: String
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await withOperatorStore(database) { pool in
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read \(file) as UTF-8 text")
            }
            let showProgress = isatty(STDERR_FILENO) == 1
            let started = ContinuousClock.now
            let importer = RegistryImporter(pool: pool)
            let count = try await importer.importCSV(resource.resource.name, text: text) { stored, total in
                if showProgress { FileHandle.standardError.write(Data("\rimported \(stored) of \(total)".utf8)) }
            }
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            let elapsed = (ContinuousClock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            print("imported \(count) \(resource.resource.name) from \(file) in \(String(format: "%.2f", seconds)) s")
        }
    }
}
