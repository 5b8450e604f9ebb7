import LibPQ
import TruckrollDomain

/// Where a registry resource lives: its table, the view the API reads, its link tables and what "own" means.
struct RegistryTable: Sendable {
    /// A many-to-many field stored as rows of a link table.
    struct Link: Sendable {
        let table: String
        let ownerColumn: String
        let targetColumn: String
    }

    let resource: Resource
    let table: String
    let view: String
    /// Link tables by field name.
    let links: [String: Link]
    /// Rows a principal owns, for roles whose scope is `.own`; `nil` means they own none.
    let ownedRows: @Sendable (Principal) -> PGQuery?
    /// Constraint name → the field it guards, where the name does not follow `<table>_<field>_<suffix>`.
    let constraintFields: [String: String]
    /// What a create does besides the insert.
    let hooks: CreateHooks
    /// Base-table columns that the server sets (hooks, password hashing), stored when a record carries them.
    let derivedColumns: [String]
    /// Adds computed members to rows as they are read (the clocks of a service request).
    let decorate: (@Sendable ([JSONObject], PGConnection) async throws -> [JSONObject])?

    init(
        _ resourceName: String, table: String, links: [String: Link] = [:], constraintFields: [String: String] = [:],
        hooks: CreateHooks = CreateHooks(), derivedColumns: [String] = [],
        ownedRows: @escaping @Sendable (Principal) -> PGQuery? = { _ in nil },
        decorate: (@Sendable ([JSONObject], PGConnection) async throws -> [JSONObject])? = nil
    ) {
        guard let resource = Registry.resource(named: resourceName) else { preconditionFailure("no resource \(resourceName)") }
        self.resource = resource
        self.table = table
        self.view = "api_" + String(resourceName.map { $0 == "-" ? "_" : $0 })
        self.links = links
        self.constraintFields = constraintFields
        self.hooks = hooks
        self.derivedColumns = derivedColumns
        self.decorate = decorate
        self.ownedRows = ownedRows
    }

    /// Columns a create or update writes directly (everything writable but links and write-only fields).
    var columnFields: [Field] {
        resource.writableFields.filter { $0.access == .writable && links[$0.name] == nil }
    }

    /// The field a violated constraint guards, for a problem that names it.
    func field(forConstraint constraint: String?, column: String?) -> String? {
        if let column, resource.field(column) != nil { return column }
        guard let constraint else { return nil }
        if let field = constraintFields[constraint] { return field }
        for (name, link) in links where constraint.hasPrefix(link.table + "_") { return name }
        var stem = constraint.hasPrefix(table + "_") ? String(constraint.dropFirst(table.count + 1)) : constraint
        for suffix in ["_fkey", "_key", "_check"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
        return resource.field(stem) != nil ? stem : nil
    }

    /// All registry tables, by resource name.
    static let all: [String: RegistryTable] = Dictionary(uniqueKeysWithValues: ([
        RegistryTable("customers", table: "customer"),
        RegistryTable("departments", table: "department", constraintFields: ["department_customer_id_name_key": "name"]),
        RegistryTable("sites", table: "site"),
        RegistryTable("parts", table: "part", links: [
            "equipment_model_ids": Link(table: "part_equipment_model", ownerColumn: "part_id", targetColumn: "equipment_model_id"),
        ]),
        RegistryTable("equipment-models", table: "equipment_model", links: [
            "common_part_ids": Link(table: "equipment_model_part", ownerColumn: "equipment_model_id", targetColumn: "part_id"),
        ], constraintFields: ["equipment_model_manufacturer_name_key": "name"]),
        RegistryTable("units", table: "unit", constraintFields: ["unit_manufacturer_serial_number_key": "serial_number"]) { principal in
            principal.vendorID.map { "id IN (SELECT unit_id FROM vendor_unit WHERE vendor_id = \($0))" }
        },
        RegistryTable("meter-readings", table: "meter_reading", hooks: MeterReadingChecks.hooks,
                      derivedColumns: ["status", "hold_reason"]) { principal in
            principal.vendorID.map { "unit_id IN (SELECT unit_id FROM vendor_unit WHERE vendor_id = \($0))" }
        },
        RegistryTable("vendors", table: "vendor") { principal in principal.vendorID.map { "id = \($0)" } },
        RegistryTable("vendor-contracts", table: "vendor_contract", links: [
            "equipment_model_ids": Link(
                table: "vendor_contract_equipment_model", ownerColumn: "vendor_contract_id", targetColumn: "equipment_model_id"
            ),
            "unit_ids": Link(table: "vendor_contract_unit", ownerColumn: "vendor_contract_id", targetColumn: "unit_id"),
        ], constraintFields: ["vendor_contract_vendor_id_reference_key": "reference"]) { principal in
            principal.vendorID.map { "vendor_id = \($0)" }
        },
        RegistryTable("contracts", table: "service_contract", links: [
            "unit_ids": Link(table: "service_contract_unit", ownerColumn: "service_contract_id", targetColumn: "unit_id"),
        ]),
        RegistryTable("technicians", table: "technician") { principal in principal.technicianID.map { "id = \($0)" } },
        RegistryTable("depots", table: "depot"),
        RegistryTable("vehicles", table: "vehicle") { principal in principal.technicianID.map { "technician_id = \($0)" } },
        RegistryTable("stock", table: "stock_item", constraintFields: ["stock_item_part_id_key": "part_id"]) { principal in
            principal.technicianID.map { "vehicle_id IN (SELECT id FROM vehicle WHERE technician_id = \($0))" }
        },
        RegistryTable("users", table: "app_user", derivedColumns: ["password_hash"]) { principal in "id = \(principal.userID)" },
        RegistryTable("tokens", table: "api_token") { principal in "user_id = \(principal.userID)" },
    ] + operationTables).map { ($0.resource.name, $0) })
}


/// What a create or an update does besides writing the row, inside the same transaction.
struct CreateHooks: Sendable {
    /// Completes the record before it is stored (derived fields); throws a ``RegistryError`` to refuse it.
    var prepare: @Sendable (inout JSONObject, Principal, PGConnection) async throws -> Void = { _, _, _ in }
    /// Runs after the insert with the new id: events, effects on other rows.
    var finish: @Sendable (Int, JSONObject, Principal, PGConnection) async throws -> Void = { _, _, _, _ in }
    /// Runs before an update (`PATCH`) is written, with the row as stored and as it will be: locks it needs.
    var beforeUpdate: @Sendable (_ current: JSONObject, _ merged: JSONObject, PGConnection) async throws -> Void = { _, _, _ in }
    /// Runs after an update (`PATCH`) with the row before and after, in the same transaction: events.
    var updated: @Sendable (_ before: StoredRecord, _ after: StoredRecord, Principal, PGConnection) async throws -> Void = { _, _, _, _ in }
    /// Whether a caller whose write scope is `.own` owns the record it creates.
    var ownsNewRecord: @Sendable (Principal, JSONObject) -> Bool = { _, _ in false }
}
