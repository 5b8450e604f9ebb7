import FoundationEssentials

/// The shape and range of one field's value.
public indirect enum FieldType: Sendable {
    /// Free text up to `maxLength` characters; never empty when present.
    case text(maxLength: Int)
    /// A short identifier people type and search by (a customer code, a part number): letters, digits, `-_./:#`.
    case code
    /// A whole number within the range.
    case integer(ClosedRange<Int>)
    /// A decimal number within the range, with at most `fractionDigits` digits after the point.
    case decimal(ClosedRange<Double>, fractionDigits: Int)
    /// `true` or `false`.
    case boolean
    /// One of the listed strings.
    case choice([String])
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// An instant, ISO 8601 with a time zone offset: `2026-11-30T08:15:00Z`.
    case timestamp
    /// A time of day, `HH:MM`, 24-hour.
    case timeOfDay
    /// An IANA time zone name, such as `Europe/Paris`.
    case timeZone
    /// The id of a row of the named resource (e.g. `sites`).
    case reference(to: String)
    /// Ids of rows of the named resource, without repeats.
    case references(to: String)
    /// A nested object with its own fields.
    case object([Field])
    /// A list of values of one type.
    case list(of: FieldType, maxCount: Int)
}

/// One field of a resource, as clients see it in JSON.
public struct Field: Sendable {
    /// Who may set a field.
    public enum Access: Sendable {
        /// Set on create and on update.
        case writable
        /// Set by the server (ids, versions, derived values); ignored when sent.
        case readOnly
        /// Accepted on create and update but never returned (a password).
        case writeOnly
    }

    /// The JSON key (and column name).
    public let name: String
    /// What values it takes.
    public let type: FieldType
    /// Whether a create must give it; optional fields may also be `null`.
    public let isRequired: Bool
    /// Who may set it.
    public let access: Access
    /// One line for the API documentation.
    public let summary: String

    /// Creates a field.
    public init(_ name: String, _ type: FieldType, required: Bool = false, access: Access = .writable, _ summary: String) {
        self.name = name
        self.type = type
        self.isRequired = required
        self.access = access
        self.summary = summary
    }
}

/// A field at fault and why; the API names it in its problem response, the CLI in its message.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path to the field, e.g. `calendar.weekly[2].start`; for imports, prefixed by nothing (the line is separate).
    public var field: String
    /// What is wrong with it.
    public var message: String

    /// Creates a field error.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension FieldType {
    /// Checks `value` against this type; returns every problem found, with paths under `path`.
    public func problems(with value: JSONValue, at path: String) -> [FieldError] {
        func fail(_ message: String) -> [FieldError] { [FieldError(field: path, message: message)] }
        switch self {
        case .text(let maxLength):
            guard let text = value.stringValue else { return fail("must be a string, not \(value.typeName)") }
            if text.allSatisfy(\.isWhitespace) { return fail("must not be empty") }
            if text.count > maxLength { return fail("must be at most \(maxLength) characters (got \(text.count))") }
            return []
        case .code:
            guard let text = value.stringValue else { return fail("must be a string, not \(value.typeName)") }
            if text.isEmpty || text.count > 64 { return fail("must be 1 to 64 characters") }
            if !text.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./:#".unicodeScalars.contains($0) }) {
                return fail("may contain only letters, digits and - _ . / : #")
            }
            return []
        case .integer(let range):
            guard case .number = value else { return fail("must be an integer, not \(value.typeName)") }
            guard let number = value.integerValue else { return fail("must be a whole number") }
            return range.contains(number) ? [] : fail("must be between \(range.lowerBound) and \(range.upperBound)")
        case .decimal(let range, let fractionDigits):
            guard case .number(let number) = value else { return fail("must be a number, not \(value.typeName)") }
            if !range.contains(number) { return fail("must be between \(plain(range.lowerBound)) and \(plain(range.upperBound))") }
            var scale = 1.0
            for _ in 0..<fractionDigits { scale *= 10 }
            let scaled = number * scale
            return abs(scaled - scaled.rounded()) < 1e-6 ? [] : fail("must have at most \(fractionDigits) decimal places")
        case .boolean:
            guard case .bool = value else { return fail("must be true or false, not \(value.typeName)") }
            return []
        case .choice(let choices):
            guard let text = value.stringValue else { return fail("must be a string, not \(value.typeName)") }
            return choices.contains(text) ? [] : fail("must be one of \(choices.joined(separator: ", ")) (got \"\(text.prefix(40))\")")
        case .date:
            guard let text = value.stringValue else { return fail("must be a date string, not \(value.typeName)") }
            return CalendarDate(text) == nil ? fail("must be a date as YYYY-MM-DD") : []
        case .timestamp:
            guard let text = value.stringValue else { return fail("must be a timestamp string, not \(value.typeName)") }
            return Timestamp.parse(text) == nil ? fail("must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-30T08:15:00Z") : []
        case .timeOfDay:
            guard let text = value.stringValue else { return fail("must be a time string, not \(value.typeName)") }
            return TimeOfDay(text) == nil ? fail("must be a time as HH:MM (00:00 to 24:00)") : []
        case .timeZone:
            guard let text = value.stringValue else { return fail("must be a time zone name, not \(value.typeName)") }
            return TimeZone(identifier: text) == nil || !text.contains("/") && text != "UTC"
                ? fail("must be an IANA time zone such as Europe/Paris (got \"\(text.prefix(40))\")") : []
        case .reference:
            guard let id = value.integerValue else { return fail("must be an id (a positive integer), not \(value.typeName)") }
            return id > 0 ? [] : fail("must be a positive id")
        case .references:
            guard case .array(let items) = value else { return fail("must be an array of ids, not \(value.typeName)") }
            if items.count > 10_000 { return fail("must list at most 10000 ids") }
            for (index, item) in items.enumerated() where (item.integerValue ?? 0) <= 0 {
                return [FieldError(field: "\(path)[\(index)]", message: "must be an id (a positive integer)")]
            }
            return Set(items).count == items.count ? [] : fail("must not repeat an id")
        case .object(let fields):
            guard case .object(let object) = value else { return fail("must be an object, not \(value.typeName)") }
            return validate(object, against: fields, path: path + ".", isCreate: true)
        case .list(let element, let maxCount):
            guard case .array(let items) = value else { return fail("must be an array, not \(value.typeName)") }
            if items.count > maxCount { return fail("must have at most \(maxCount) items") }
            return items.enumerated().flatMap { index, item in element.problems(with: item, at: "\(path)[\(index)]") }
        }
    }
}

extension Field {
    /// Checks a request body against `fields` (unknown keys, required fields, types and ranges).
    /// - Returns: every problem, each naming its field.
    public static func problems(of object: JSONObject, against fields: [Field]) -> [FieldError] {
        validate(object, against: fields, path: "", isCreate: true)
    }
}

/// Checks an object's keys and values against `fields`: unknown keys, missing required fields (when creating),
/// `null` where a value is required, and every value's type and range. Read-only fields are skipped.
func validate(_ object: JSONObject, against fields: [Field], path: String, isCreate: Bool) -> [FieldError] {
    var errors: [FieldError] = []
    let byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
    for key in object.keys.sorted() where byName[key] == nil {
        errors.append(FieldError(field: path + key, message: "is not a field of this object"))
    }
    for field in fields where field.access != .readOnly {
        switch object[field.name] {
        case nil:
            if isCreate, field.isRequired { errors.append(FieldError(field: path + field.name, message: "is required")) }
        case .null?:
            if field.isRequired { errors.append(FieldError(field: path + field.name, message: "must not be null")) }
        case let value?:
            errors += field.type.problems(with: value, at: path + field.name)
        }
    }
    return errors
}

/// `12` for 12.0, `0.5` for 0.5: numbers as people write them.
func plain(_ number: Double) -> String {
    number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
}
