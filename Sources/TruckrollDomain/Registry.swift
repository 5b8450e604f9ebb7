/// The service registry's resources, in dependency order (a resource only references those before it).
public enum Registry {
    /// Every resource, in the order an import or a seed must load them (operational ones last).
    public static let resources: [Resource] = [
        customers, departments, sites, parts, equipmentModels, units, meterReadings, vendors, vendorContracts,
        contracts, technicians, depots, vehicles, stock, users, tokens, serviceRequests, visits, partRequests, rmas, deviceAlerts,
    ]

    /// The resource with path segment `name`.
    public static func resource(named name: String) -> Resource? { resources.first { $0.name == name } }

    // MARK: shared shapes

    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    static let contact = FieldType.object([
        Field("name", .text(maxLength: 200), "Person to ask for."),
        Field("phone", .text(maxLength: 50), "Phone number."),
        Field("email", .text(maxLength: 200), "E-mail address."),
    ])

    /// Opening or working hours: `[{"days": ["mon", …], "start": "08:00", "end": "17:00"}]`.
    static let weeklyHours = FieldType.list(of: .object([
        Field("days", .list(of: .choice(weekdays), maxCount: 7), required: true, "Weekdays these hours apply to."),
        Field("start", .timeOfDay, required: true, "Opening time, HH:MM local."),
        Field("end", .timeOfDay, required: true, "Closing time, HH:MM local, after start."),
    ]), maxCount: 21)

    /// Skills with a level: `[{"skill": "copier-fuser", "level": 3}]`.
    static let skills = FieldType.list(of: .object([
        Field("skill", .code, required: true, "Skill name."),
        Field("level", .integer(1...5), required: true, "1 (trainee) to 5 (expert)."),
    ]), maxCount: 100)

    static let targetsPerPriority = FieldType.object([
        Field("response_minutes", .integer(1...525_600), required: true, "Call to technician on site, in coverage minutes."),
        Field("restore_minutes", .integer(1...525_600), required: true, "Call to unit restored, in coverage minutes."),
    ])

    static let status = FieldType.choice(["active", "inactive"])
    static let money = FieldType.decimal(0...1_000_000_000, fractionDigits: 2)
    static let latitude = FieldType.decimal(-90...90, fractionDigits: 7)
    static let longitude = FieldType.decimal(-180...180, fractionDigits: 7)

    // MARK: customers

    static let customers = Resource(
        name: "customers", singular: "customer",
        fields: [
            Field("code", .code, required: true, "The customer's account code, unique."),
            Field("name", .text(maxLength: 200), required: true, "Company name."),
            Field("contact", contact, "Main contact."),
            Field("notes", .text(maxLength: 4000), "Free notes."),
            Field("status", status, "active or inactive."),
        ],
        filters: [("status", "status"), ("code", "code")],
        access: .office
    )

    static let departments = Resource(
        name: "departments", singular: "department",
        fields: [
            Field("customer_id", .reference(to: "customers"), required: true, "The customer it belongs to."),
            Field("name", .text(maxLength: 200), required: true, "Department name, unique per customer."),
            Field("cost_center", .text(maxLength: 100), "The customer's cost centre."),
        ],
        filters: [("customer", "customer_id")],
        access: .office
    )

    static let sites = Resource(
        name: "sites", singular: "site",
        fields: [
            Field("code", .code, required: true, "Site code, unique."),
            Field("customer_id", .reference(to: "customers"), required: true, "The customer it belongs to."),
            Field("name", .text(maxLength: 200), required: true, "Site name."),
            Field("address", .text(maxLength: 500), required: true, "Street address."),
            Field("latitude", latitude, required: true, "Degrees north, -90 to 90."),
            Field("longitude", longitude, required: true, "Degrees east, -180 to 180."),
            Field("time_zone", .timeZone, required: true, "IANA time zone of the site."),
            Field("access_hours", weeklyHours, "When technicians can get in; none means any time."),
            Field("contact", contact, "On-site contact."),
            Field("notes", .text(maxLength: 4000), "Directions, parking, badge desk."),
            Field("status", status, "active or inactive."),
        ],
        filters: [("customer", "customer_id"), ("status", "status"), ("code", "code")],
        access: .office.reading([.technician: .all]),
        rules: [hoursInOrder("access_hours")]
    )

    // MARK: catalogue

    static let parts = Resource(
        name: "parts", singular: "part",
        fields: [
            Field("part_number", .code, required: true, "Manufacturer or dealer part number, unique."),
            Field("description", .text(maxLength: 500), required: true, "What it is."),
            Field("unit_cost", money, "Cost of one, in the company's currency."),
            Field("replaceable_by", .choice(["technician", "customer"]), "FRU (technician) or CRU (customer)."),
            Field("defective_return", .boolean, "Whether the defective part goes back to the vendor."),
            Field("equipment_model_ids", .references(to: "equipment-models"), "Models it fits."),
            Field("status", .choice(["active", "discontinued"]), "active or discontinued."),
        ],
        filters: [("part_number", "part_number"), ("status", "status")],
        access: Access.office.reading([.technician: .all, .vendorCoordinator: .all])
    )

    static let equipmentModels = Resource(
        name: "equipment-models", singular: "equipment model",
        fields: [
            Field("code", .code, required: true, "Model code, unique."),
            Field("manufacturer", .text(maxLength: 100), required: true, "Manufacturer."),
            Field("name", .text(maxLength: 200), required: true, "Model name, unique per manufacturer."),
            Field("category", .choice(["copier_mfp", "printer", "server", "storage", "network", "other"]), required: true,
                  "Kind of equipment."),
            Field("required_skills", skills, "Skills a technician needs to repair it, with the minimum level."),
            Field("typical_repair_minutes", .integer(1...1440), required: true, "Usual time on site for a repair."),
            Field("page_counting", .boolean, "Whether units report page-count meter readings."),
            Field("pm_interval_days", .integer(1...3650), "Preventive maintenance every so many days."),
            Field("pm_interval_pages", .integer(1...100_000_000), "Preventive maintenance every so many pages."),
            Field("callback_days", .integer(0...365), "A new corrective call within so many days is a callback."),
            Field("notes", .text(maxLength: 20_000), "Service notes for technicians."),
            Field("fault_codes", .list(of: .object([
                Field("code", .code, required: true, "Fault code as the device shows it."),
                Field("description", .text(maxLength: 500), required: true, "What it means."),
                Field("remedy", .text(maxLength: 2000), "What usually fixes it."),
            ]), maxCount: 2000), "Known fault codes."),
            Field("common_part_ids", .references(to: "parts"), "Parts this model commonly needs."),
        ],
        filters: [("manufacturer", "manufacturer"), ("category", "category"), ("code", "code")],
        access: Access.office.reading([.technician: .all, .vendorCoordinator: .all]),
        rules: [uniqueSkills("required_skills"), { record in
            record["pm_interval_pages"] != nil && record["pm_interval_pages"] != .null && record["page_counting"] != .bool(true)
                ? [FieldError(field: "pm_interval_pages", message: "applies only to page-counting models (set page_counting)")] : []
        }]
    )

    // MARK: units

    static let units = Resource(
        name: "units", singular: "unit",
        fields: [
            Field("serial_number", .code, required: true, "Serial number, unique per manufacturer."),
            Field("equipment_model_id", .reference(to: "equipment-models"), required: true, "Its model."),
            Field("manufacturer", .text(maxLength: 100), access: .readOnly, "The model's manufacturer."),
            Field("site_id", .reference(to: "sites"), required: true, "Where it is installed."),
            Field("customer_id", .reference(to: "customers"), access: .readOnly, "The site's customer."),
            Field("department_id", .reference(to: "departments"), "The department using it (same customer as the site)."),
            Field("parent_unit_id", .reference(to: "units"), "The unit it is part of (a shelf in an array, a finisher)."),
            Field("install_date", .date, "When it was installed."),
            Field("status", .choice(["in_service", "down", "retired"]), "in_service, down or retired."),
            Field("criticality", .choice(["low", "normal", "high", "critical"]), "How much the customer depends on it."),
            Field("downtime_cost_per_hour", money, "Overrides the contract's downtime cost per hour."),
            Field("notes", .text(maxLength: 4000), "Free notes."),
            Field("meter_pages", .integer(0...Int.max), access: .readOnly, "Latest meter reading (pages)."),
            Field("meter_read_at", .timestamp, access: .readOnly, "When the latest meter reading was taken."),
        ],
        filters: [
            ("site", "site_id"), ("customer", "customer_id"), ("department", "department_id"), ("model", "equipment_model_id"),
            ("status", "status"), ("serial_number", "serial_number"), ("parent", "parent_unit_id"),
            ("criticality", "criticality"),
        ],
        access: Access.office.reading([.vendorCoordinator: .own])
    )

    static let meterReadings = Resource(
        name: "meter-readings", singular: "meter reading",
        fields: [
            Field("unit_id", .reference(to: "units"), required: true, "The unit read."),
            Field("read_at", .timestamp, required: true, "When it was read."),
            Field("pages", .integer(0...1_000_000_000_000), required: true, "Total pages on the meter."),
            Field("source", .choice(["technician", "customer_portal", "device_agent", "office"]), required: true,
                  "Who or what took the reading."),
            Field("status", .choice(["accepted", "held", "rejected"]), access: .readOnly,
                  "held: lower than the last reading or implausibly high, waiting for review."),
            Field("hold_reason", .text(maxLength: 500), access: .readOnly, "Why it is held."),
        ],
        filters: [("unit", "unit_id"), ("status", "status")],
        access: Access.office.reading([.vendorCoordinator: .own]).writing([.supportAgent: .all, .dispatcher: .all])
    )

    // MARK: vendors and contracts

    static let vendors = Resource(
        name: "vendors", singular: "vendor",
        fields: [
            Field("code", .code, required: true, "Vendor code, unique."),
            Field("name", .text(maxLength: 200), required: true, "Company name."),
            Field("time_zone", .timeZone, required: true, "Time zone of its business hours."),
            Field("business_hours", weeklyHours, required: true, "When its commitments' clocks run."),
            Field("contact", contact, "Support desk contact."),
            Field("notes", .text(maxLength: 4000), "How to open a case."),
            Field("status", status, "active or inactive."),
        ],
        filters: [("status", "status"), ("code", "code")],
        access: Access.office.reading([.vendorCoordinator: .own]),
        rules: [hoursInOrder("business_hours")]
    )

    static let vendorContracts = Resource(
        name: "vendor-contracts", singular: "vendor contract",
        fields: [
            Field("vendor_id", .reference(to: "vendors"), required: true, "The vendor committing."),
            Field("reference", .code, required: true, "The vendor's contract reference, unique per vendor."),
            Field("support_level", .choice([
                "onsite_4h", "onsite_next_business_day", "parts_next_business_day", "advance_exchange", "depot_repair", "other",
            ]), required: true, "What the vendor commits to."),
            Field("response_business_hours", .decimal(0.25...10_000, fractionDigits: 2), "Response commitment, vendor business hours."),
            Field("replacement_business_hours", .decimal(0.25...10_000, fractionDigits: 2), "Replacement commitment, vendor business hours."),
            Field("defective_return_business_days", .integer(1...365), "Days allowed to return the defective part."),
            Field("valid_from", .date, required: true, "First day of validity."),
            Field("valid_to", .date, required: true, "Last day of validity."),
            Field("contact", contact, "Escalation contact."),
            Field("notes", .text(maxLength: 4000), "Terms worth knowing."),
            Field("equipment_model_ids", .references(to: "equipment-models"), "Models covered (all their units)."),
            Field("unit_ids", .references(to: "units"), "Units covered one by one."),
        ],
        filters: [("vendor", "vendor_id"), ("support_level", "support_level"), ("reference", "reference")],
        access: Access.office.reading([.vendorCoordinator: .own]),
        rules: [validityInOrder]
    )

    static let contracts = Resource(
        name: "contracts", singular: "contract",
        fields: [
            Field("reference", .code, required: true, "Contract reference, unique."),
            Field("customer_id", .reference(to: "customers"), required: true, "The customer."),
            Field("valid_from", .date, required: true, "First day of validity."),
            Field("valid_to", .date, required: true, "Last day of validity."),
            Field("coverage", .object([
                Field("always", .boolean, "24×7 coverage."),
                Field("hours", weeklyHours, "Covered hours in the site's time zone, unless always."),
                Field("holidays", .list(of: .date, maxCount: 400), "Days not covered."),
            ]), required: true, "When the SLA clocks run: {\"always\": true} or weekly hours with holidays."),
            Field("targets", .object([
                Field("P1", targetsPerPriority, "Priority 1 targets."),
                Field("P2", targetsPerPriority, "Priority 2 targets."),
                Field("P3", targetsPerPriority, "Priority 3 targets."),
                Field("P4", targetsPerPriority, "Priority 4 targets."),
            ]), required: true, "Response and restore targets per priority."),
            Field("downtime_cost_per_hour", money, "What an hour of downtime costs the customer (weighs the optimiser)."),
            Field("penalty_terms", .text(maxLength: 4000), "Penalties for missed targets."),
            Field("covers_labour", .boolean, "Labour included."),
            Field("covers_parts", .boolean, "Parts included."),
            Field("covers_consumables", .boolean, "Consumables included."),
            Field("notes", .text(maxLength: 4000), "Limit of care, exclusions."),
            Field("unit_ids", .references(to: "units"), "Units covered."),
        ],
        filters: [("customer", "customer_id"), ("reference", "reference")],
        access: .office,
        rules: [validityInOrder, coverageComplete, targetsInOrder]
    )

    // MARK: people, vans, stock

    static let technicians = Resource(
        name: "technicians", singular: "technician",
        fields: [
            Field("code", .code, required: true, "Employee number, unique."),
            Field("name", .text(maxLength: 200), required: true, "Full name."),
            Field("email", .text(maxLength: 200), "E-mail address."),
            Field("phone", .text(maxLength: 50), "Mobile number."),
            Field("home_latitude", latitude, required: true, "Home base, degrees north."),
            Field("home_longitude", longitude, required: true, "Home base, degrees east."),
            Field("time_zone", .timeZone, required: true, "Time zone of the working calendar."),
            Field("skills", skills, "Skills with levels 1–5."),
            Field("calendar", .object([
                Field("weekly", weeklyHours, required: true, "Shifts per weekday."),
                Field("exceptions", .list(of: .object([
                    Field("date", .date, required: true, "The day."),
                    Field("available", .boolean, required: true, "false for leave; true with hours for an extra shift."),
                    Field("start", .timeOfDay, "Start of the day's shift when available."),
                    Field("end", .timeOfDay, "End of the day's shift when available."),
                    Field("reason", .text(maxLength: 200), "Leave, training, on call …"),
                ]), maxCount: 1000), "Days that differ from the week."),
            ]), required: true, "Working calendar."),
            Field("overtime_minutes_per_day", .integer(0...720), "Overtime allowed after a shift."),
            Field("status", status, "active or inactive."),
        ],
        filters: [("status", "status"), ("code", "code")],
        access: Access.office.reading([.technician: .own]).writing([.dispatcher: .all]),
        rules: [uniqueSkills("skills"), hoursInOrder("calendar.weekly"), calendarExceptionsComplete]
    )

    static let depots = Resource(
        name: "depots", singular: "depot",
        fields: [
            Field("code", .code, required: true, "Depot code, unique."),
            Field("name", .text(maxLength: 200), required: true, "Name."),
            Field("address", .text(maxLength: 500), required: true, "Street address."),
            Field("latitude", latitude, required: true, "Degrees north."),
            Field("longitude", longitude, required: true, "Degrees east."),
            Field("time_zone", .timeZone, required: true, "Time zone of its opening hours."),
            Field("opening_hours", weeklyHours, "When parts can be picked up."),
        ],
        filters: [("code", "code")],
        access: Access.office.reading([.technician: .all]),
        rules: [hoursInOrder("opening_hours")]
    )

    static let vehicles = Resource(
        name: "vehicles", singular: "vehicle",
        fields: [
            Field("registration", .code, required: true, "Registration plate, unique."),
            Field("technician_id", .reference(to: "technicians"), "The technician driving it (one van each)."),
            Field("home_depot_id", .reference(to: "depots"), "Where it restocks."),
            Field("description", .text(maxLength: 200), "Make and model."),
            Field("status", .choice(["in_service", "out_of_service", "retired"]), "in_service, out_of_service or retired."),
        ],
        filters: [("technician", "technician_id"), ("status", "status"), ("registration", "registration")],
        access: Access.office.reading([.technician: .own]).writing([.dispatcher: .all])
    )

    static let stock = Resource(
        name: "stock", singular: "stock item",
        fields: [
            Field("vehicle_id", .reference(to: "vehicles"), "The van holding it (or a depot)."),
            Field("depot_id", .reference(to: "depots"), "The depot holding it (or a van)."),
            Field("part_id", .reference(to: "parts"), required: true, "The part."),
            Field("part_number", .code, access: .readOnly, "The part's number."),
            Field("part_description", .text(maxLength: 500), access: .readOnly, "The part's description."),
            Field("quantity", .integer(0...1_000_000), required: true, "How many are on hand."),
        ],
        filters: [("vehicle", "vehicle_id"), ("depot", "depot_id"), ("part", "part_id")],
        access: Access.office.reading([.technician: .own]).writing([.dispatcher: .all]),
        rules: [{ record in
            let places = [record["vehicle_id"], record["depot_id"]].filter { $0 != nil && $0 != .null }.count
            return places == 1 ? [] : [FieldError(field: "vehicle_id", message: "give exactly one of vehicle_id and depot_id")]
        }]
    )

    // MARK: users and tokens

    static let users = Resource(
        name: "users", singular: "user",
        fields: [
            Field("username", .code, required: true, "Sign-in name, unique."),
            Field("display_name", .text(maxLength: 200), "Name shown in the interface."),
            Field("role", .choice(Role.allCases.map(\.rawValue)), required: true, "What the user may do."),
            Field("technician_id", .reference(to: "technicians"), "The technician a technician user is."),
            Field("vendor_id", .reference(to: "vendors"), "The vendor a vendor coordinator works with."),
            Field("password", .text(maxLength: 200), access: .writeOnly, "Sets the sign-in password (12 characters at least)."),
            Field("has_password", .boolean, access: .readOnly, "Whether a password is set."),
            Field("disabled", .boolean, "A disabled user's tokens stop working."),
        ],
        filters: [("role", "role"), ("username", "username")],
        access: Access(
            read: [.admin: .all, .supportAgent: .own, .dispatcher: .own, .technician: .own, .vendorCoordinator: .own, .manager: .own],
            write: [.admin: .all]
        ),
        deletable: false,
        rules: [userLinks, { record in
            guard case .string(let password)? = record["password"] else { return [] }
            return password.count >= 12 ? [] : [FieldError(field: "password", message: "must be at least 12 characters")]
        }]
    )

    static let tokens = Resource(
        name: "tokens", singular: "token",
        fields: [
            Field("user_id", .reference(to: "users"), "Whose token (default: the caller's own)."),
            Field("name", .text(maxLength: 200), required: true, "What it is for, e.g. \"laptop\" or \"import job\"."),
            Field("expires_at", .timestamp, "When it stops working; none means until revoked."),
            Field("secret_prefix", .text(maxLength: 20), access: .readOnly, "First characters of the secret."),
            Field("revoked_at", .timestamp, access: .readOnly, "When it was revoked."),
            Field("last_used_at", .timestamp, access: .readOnly, "When it was last used (to the minute)."),
            Field("active", .boolean, access: .readOnly, "Neither revoked nor expired."),
        ],
        filters: [("user", "user_id")],
        access: Access(
            read: Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, $0 == .admin ? Scope.all : .own) }),
            write: Dictionary(uniqueKeysWithValues: Role.allCases.map { ($0, $0 == .admin ? Scope.all : .own) })
        )
    )
}
