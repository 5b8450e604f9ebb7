import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Problems that stopped an import, each with its line: nothing of the file was stored.
public struct ImportFailure: Error, Sendable, CustomStringConvertible {
    /// One problem: the line (1 is the header) and the field at fault.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let field: String
        public let message: String

        public var description: String { "line \(line): \(field): \(message)" }
    }

    public let problems: [Problem]

    public var description: String {
        let shown = problems.prefix(50).map(\.description).joined(separator: "\n")
        return "\(problems.count) problem(s), nothing imported:\n" + shown
            + (problems.count > 50 ? "\n… and \(problems.count - 50) more" : "")
    }
}

/// Loads a CSV file of one registry resource, all or nothing.
///
/// The header names the fields. A reference can be given by id (`site_id`) or by the referenced record's code
/// (`site`: its `code`; `part`: its part number; `equipment_model`, `vehicle`: its registration …); lists of
/// references (`unit_ids`, or `unit` with serial numbers) are separated by `;`. Nested values (skills, calendars,
/// coverage) are JSON in the cell. Every row is checked before anything is written, and every problem is reported.
public struct RegistryImporter: Sendable {
    let pool: PGPool

    public init(pool: PGPool) {
        self.pool = pool
    }

    /// The column holding each resource's human key, by which other files refer to its rows.
    static let naturalKeys: [String: String] = [
        "customers": "code", "sites": "code", "equipment-models": "code", "parts": "part_number", "vendors": "code",
        "technicians": "code", "depots": "code", "vehicles": "registration", "units": "serial_number",
        "contracts": "reference", "departments": "name", "users": "username",
    ]

    /// Resources a file can hold.
    public static let importable = [
        "customers", "departments", "sites", "parts", "equipment-models", "units", "meter-readings", "vendors",
        "vendor-contracts", "contracts", "technicians", "depots", "vehicles", "stock",
    ]

    /// Imports `text` as rows of `resource`.
    /// - Parameter progress: Called with (rows stored, rows in all) as batches are written.
    /// - Returns: The number of rows stored.
    /// - Throws: ``ImportFailure`` listing every problem (nothing is stored then), or ``PGError``.
    @discardableResult
    public func importCSV(
        _ resource: String, text: String, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Int {
        guard Self.importable.contains(resource) else {
            throw ImportFailure(problems: [.init(line: 0, field: "resource", message: "\(resource) cannot be imported (importable: \(Self.importable.joined(separator: ", ")))")])
        }
        let table = RegistryStore.table(resource)
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(text)
        } catch let error as CSVReader.Malformed {
            throw ImportFailure(problems: [.init(line: error.line, field: "file", message: error.message)])
        }
        guard let header = records.first else {
            throw ImportFailure(problems: [.init(line: 1, field: "file", message: "is empty (the first line must name the fields)")])
        }
        let columns = try Self.columns(header.fields, of: table)
        let lookups = try await loadLookups(for: columns)
        var problems: [ImportFailure.Problem] = []
        var rows: [JSONObject] = []
        rows.reserveCapacity(records.count)
        for record in records.dropFirst() {
            let (row, rowProblems) = Self.row(record, columns: columns, lookups: lookups)
            problems += rowProblems
            if rowProblems.isEmpty {
                problems += table.resource.validateCreate(row).map { .init(line: record.line, field: $0.field, message: $0.message) }
            }
            rows.append(row)
        }
        let lines = records.dropFirst().map(\.line)
        problems += try await duplicates(rows, lines: lines, of: resource, lookups: lookups)
        guard problems.isEmpty else { throw ImportFailure(problems: problems.sorted { ($0.line, $0.field) < ($1.line, $1.field) }) }
        return try await store(rows, lines: lines, into: table, progress: progress)
    }

    // MARK: columns

    /// What a header column is: a field, or a reference given by code.
    enum Column {
        case field(Field)
        case referenceByCode(Field, target: String)
        case ignored
    }

    static func columns(_ header: [String], of table: RegistryTable) throws -> [Column] {
        var problems: [ImportFailure.Problem] = []
        var seen = Set<String>()
        let columns: [Column] = header.map { rawName in
            let name = rawName.trimmedOfSpaces
            if !seen.insert(name).inserted {
                problems.append(.init(line: 1, field: name, message: "is named twice"))
                return .ignored
            }
            if let field = table.resource.field(name), field.access != .readOnly { return .field(field) }
            for suffix in ["_id", "_ids"] {
                guard let field = table.resource.field(name + suffix), field.access != .readOnly else { continue }
                switch field.type {
                case .reference(let target) where naturalKeys[target] != nil, .references(let target) where naturalKeys[target] != nil:
                    return .referenceByCode(field, target: target)
                default: continue
                }
            }
            problems.append(.init(line: 1, field: name, message: "is not a field of \(table.resource.name)"
                + " (fields: \(table.resource.writableFields.map(\.name).joined(separator: ", ")))"))
            return .ignored
        }
        guard problems.isEmpty else { throw ImportFailure(problems: problems) }
        return columns
    }

    // MARK: references by code

    /// Code → id of the rows of a referenced resource (departments: "<customer id>/<name>").
    typealias Lookups = [String: [String: Int]]

    func loadLookups(for columns: [Column]) async throws -> Lookups {
        var targets = Set<String>()
        for case .referenceByCode(_, let target) in columns { targets.insert(target) }
        if targets.contains("departments") { targets.insert("sites") }
        var lookups: Lookups = [:]
        for target in targets.sorted() {
            let table = RegistryStore.table(target)
            guard let key = Self.naturalKeys[target] else { continue }
            let keyExpression: PGQuery = target == "departments"
                ? "customer_id::text || '/' || name" : "\(identifier: key)::text"
            let rows = try await pool.query("SELECT " + keyExpression + ", id FROM \(identifier: table.table)")
            var map: [String: Int] = [:]
            map.reserveCapacity(rows.count)
            for row in rows {
                let (code, id) = try row.decode((String, Int).self)
                // A code shared by two rows (serial numbers of two manufacturers) cannot be resolved by code.
                map[code] = map[code] == nil ? id : -1
            }
            lookups[target] = map
            if target == "sites" {
                let customers = try await pool.query("SELECT id::text, customer_id FROM site")
                lookups["site-customers"] = Dictionary(uniqueKeysWithValues: try customers.map { try $0.decode((String, Int).self) })
            }
        }
        return lookups
    }

    static func row(_ record: CSVReader.Record, columns: [Column], lookups: Lookups) -> (JSONObject, [ImportFailure.Problem]) {
        var row: JSONObject = [:]
        var problems: [ImportFailure.Problem] = []
        if record.fields.count != columns.count {
            return ([:], [.init(line: record.line, field: "line", message: "has \(record.fields.count) values for \(columns.count) columns")])
        }
        var departmentCodes: (Field, String)?
        for (column, text) in zip(columns, record.fields) {
            switch column {
            case .ignored:
                continue
            case .field(let field):
                switch field.type.jsonValue(fromText: text) {
                case .success(let value?): row[field.name] = value
                case .success(nil): continue
                case .failure(let error): problems.append(.init(line: record.line, field: field.name, message: error.message))
                }
            case .referenceByCode(let field, let target):
                let codes = text.split(separator: ";").map { String($0).trimmedOfSpaces }.filter { !$0.isEmpty }
                if codes.isEmpty { continue }
                if target == "departments" {
                    departmentCodes = (field, codes[0])
                    continue
                }
                var ids: [JSONValue] = []
                for code in codes {
                    switch lookups[target]?[code] ?? 0 {
                    case let id where id > 0: ids.append(.number(Double(id)))
                    case -1: problems.append(.init(line: record.line, field: field.name, message: "\"\(code)\" names several \(target); give the id"))
                    default: problems.append(.init(line: record.line, field: field.name, message: "no \(target) with code \"\(code)\""))
                    }
                }
                if case .references = field.type { row[field.name] = .array(ids) } else if let id = ids.first { row[field.name] = id }
            }
        }
        if let (field, name) = departmentCodes {
            // Departments are named within a customer: the row's own, or its site's.
            let customer = row["customer_id"]?.integerValue
                ?? row["site_id"]?.integerValue.flatMap { lookups["site-customers"]?[String($0)] }
            if let customer, let id = lookups["departments"]?["\(customer)/\(name)"] {
                row[field.name] = .number(Double(id))
            } else {
                problems.append(.init(line: record.line, field: field.name, message: "no department \"\(name)\" at this customer"))
            }
        }
        return (row, problems)
    }

    // MARK: duplicates

    /// Rows whose key repeats in the file or is already stored.
    func duplicates(_ rows: [JSONObject], lines: [Int], of resource: String, lookups: Lookups) async throws -> [ImportFailure.Problem] {
        guard let key = Self.naturalKeys[resource], resource != "departments" else { return [] }
        var firstLine: [String: Int] = [:]
        var problems: [ImportFailure.Problem] = []
        var keys: [String] = []
        for (row, line) in zip(rows, lines) {
            guard let value = row[key]?.stringValue else { continue }
            // Serial numbers are unique per manufacturer, i.e. per model's manufacturer: scope them by model here,
            // and leave the cross-model check to the database.
            let scoped = resource == "units" ? "\(row["equipment_model_id"]?.integerValue ?? 0)/\(value)" : value
            if let first = firstLine[scoped] {
                problems.append(.init(line: line, field: key, message: "repeats line \(first)"))
            } else {
                firstLine[scoped] = line
                keys.append(value)
            }
        }
        let table = RegistryStore.table(resource)
        let existingQuery: PGQuery = resource == "units"
            ? "SELECT equipment_model_id::text || '/' || serial_number FROM unit WHERE serial_number = ANY(\(keys))"
            : "SELECT \(identifier: key)::text FROM \(identifier: table.table) WHERE \(identifier: key) = ANY(\(keys))"
        for row in try await pool.query(existingQuery) {
            let existing = try row.decode(String.self, at: 0)
            if let line = firstLine[existing] {
                problems.append(.init(line: line, field: key, message: "\"\(existing.split(separator: "/").last ?? "")\" is already stored"))
            }
        }
        return problems
    }

    // MARK: storing

    func store(
        _ rows: [JSONObject], lines: [Int], into table: RegistryTable, progress: @Sendable (Int, Int) -> Void
    ) async throws -> Int {
        let batchSize = table.links.isEmpty ? 5000 : 1
        let store = RegistryStore(pool: pool)
        return try await store.translatingErrors(for: table) {
            try await pool.withTransaction { connection in
                var stored = 0
                var start = 0
                while start < rows.count {
                    let batch = Array(rows[start..<min(rows.count, start + batchSize)])
                    do {
                        if table.links.isEmpty {
                            try await Self.insertBatch(batch, into: table, on: connection)
                        } else {
                            _ = try await RegistryStore.insert(batch[0], into: table, on: connection)
                        }
                    } catch let error as PGError where error.sqlState?.errorClass == "23" && batch.count == 1 {
                        throw ImportFailure(problems: [.init(
                            line: lines[start], field: table.field(forConstraint: error.constraint, column: error.column) ?? "row",
                            message: error.message
                        )])
                    }
                    stored += batch.count
                    start += batch.count
                    progress(stored, rows.count)
                }
                return stored
            }
        }
    }

    /// Inserts rows through `jsonb_populate_recordset`, one statement per set of fields given (so that a field left
    /// empty takes its column's default, not NULL).
    static func insertBatch(_ rows: [JSONObject], into table: RegistryTable, on connection: PGConnection) async throws {
        let groups = Dictionary(grouping: rows) { row in table.columnFields.map(\.name).filter { row[$0] != nil } }
        for (columns, group) in groups.sorted(by: { $0.key.joined(separator: ",") < $1.key.joined(separator: ",") }) {
            let list = PGQuery.joined(columns.map { "\(identifier: $0)" }, separator: ", ")
            let json = JSONValue.array(group.map(JSONValue.object)).jsonText
            try await connection.execute(
                "INSERT INTO \(identifier: table.table) (" + list + ") SELECT " + list
                    + " FROM jsonb_populate_recordset(NULL::\(identifier: table.table), \(json)::jsonb)"
            )
        }
    }
}
