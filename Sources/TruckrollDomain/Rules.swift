/// Cross-field rules of the registry's resources, checked after each field on its own is valid.
extension Registry {
    /// The value at a dotted path, `nil` when absent or null.
    static func value(_ record: JSONObject, at path: String) -> JSONValue? {
        var current: JSONValue = .object(record)
        for key in path.split(separator: ".") {
            guard case .object(let object) = current, let next = object[String(key)], next != .null else { return nil }
            current = next
        }
        return current
    }

    /// Each weekly-hours entry ends after it starts.
    static func hoursInOrder(_ path: String) -> Resource.Rule {
        { record in
            guard case .array(let entries)? = value(record, at: path) else { return [] }
            return entries.enumerated().compactMap { index, entry in
                guard case .object(let hours) = entry, let start = hours["start"]?.stringValue.flatMap(TimeOfDay.init),
                    let end = hours["end"]?.stringValue.flatMap(TimeOfDay.init), end <= start
                else { return nil }
                return FieldError(field: "\(path)[\(index)].end", message: "must be after start")
            }
        }
    }

    /// A skill is listed once.
    static func uniqueSkills(_ path: String) -> Resource.Rule {
        { record in
            guard case .array(let entries)? = value(record, at: path) else { return [] }
            var seen = Set<String>()
            for (index, entry) in entries.enumerated() {
                guard case .object(let skill) = entry, let name = skill["skill"]?.stringValue else { continue }
                if !seen.insert(name).inserted {
                    return [FieldError(field: "\(path)[\(index)].skill", message: "lists \"\(name)\" twice")]
                }
            }
            return []
        }
    }

    /// `valid_to` is not before `valid_from`.
    static let validityInOrder: Resource.Rule = { record in
        guard let from = record["valid_from"]?.stringValue.flatMap(CalendarDate.init),
            let to = record["valid_to"]?.stringValue.flatMap(CalendarDate.init), to < from
        else { return [] }
        return [FieldError(field: "valid_to", message: "must not be before valid_from")]
    }

    /// Coverage is either always (24×7) or some weekly hours, not both and not neither.
    static let coverageComplete: Resource.Rule = { record in
        let always = value(record, at: "coverage.always") == .bool(true)
        let hours: [JSONValue] = if case .array(let entries)? = value(record, at: "coverage.hours") { entries } else { [] }
        if always && !hours.isEmpty {
            return [FieldError(field: "coverage.hours", message: "must be empty when coverage is always (24×7)")]
        }
        if !always && hours.isEmpty {
            return [FieldError(field: "coverage.hours", message: "is required unless coverage.always is true")]
        }
        return hoursInOrder("coverage.hours")(record)
    }

    /// At least one priority has targets, and restoring never comes before responding.
    static let targetsInOrder: Resource.Rule = { record in
        guard case .object(let targets)? = value(record, at: "targets") else { return [] }
        if targets.values.allSatisfy({ $0 == .null }) {
            return [FieldError(field: "targets", message: "must give targets for at least one priority (P1 to P4)")]
        }
        return targets.keys.sorted().compactMap { priority in
            guard case .object(let target)? = targets[priority], let response = target["response_minutes"]?.integerValue,
                let restore = target["restore_minutes"]?.integerValue, restore < response
            else { return nil }
            return FieldError(field: "targets.\(priority).restore_minutes", message: "must not be less than response_minutes")
        }
    }

    /// An available exception day has its hours, in order; a day off has none.
    static let calendarExceptionsComplete: Resource.Rule = { record in
        guard case .array(let exceptions)? = value(record, at: "calendar.exceptions") else { return [] }
        return exceptions.enumerated().flatMap { index, entry -> [FieldError] in
            guard case .object(let exception) = entry else { return [] }
            let path = "calendar.exceptions[\(index)]"
            let start = exception["start"]?.stringValue.flatMap(TimeOfDay.init)
            let end = exception["end"]?.stringValue.flatMap(TimeOfDay.init)
            if exception["available"] == .bool(true) {
                guard let start, let end else { return [FieldError(field: "\(path).start", message: "start and end are required on an available day")] }
                return end > start ? [] : [FieldError(field: "\(path).end", message: "must be after start")]
            }
            return start == nil && end == nil ? [] : [FieldError(field: "\(path).start", message: "a day off has no hours")]
        }
    }

    /// Technician users name their technician, vendor coordinators their vendor, and nobody else names either.
    static let userLinks: Resource.Rule = { record in
        let role = record["role"]?.stringValue
        var errors: [FieldError] = []
        let hasTechnician = record["technician_id"] != nil && record["technician_id"] != .null
        let hasVendor = record["vendor_id"] != nil && record["vendor_id"] != .null
        if (role == Role.technician.rawValue) != hasTechnician {
            errors.append(FieldError(field: "technician_id", message: hasTechnician
                ? "is only for users with role technician" : "is required for role technician"))
        }
        if (role == Role.vendorCoordinator.rawValue) != hasVendor {
            errors.append(FieldError(field: "vendor_id", message: hasVendor
                ? "is only for users with role vendor_coordinator" : "is required for role vendor_coordinator"))
        }
        return errors
    }
}
