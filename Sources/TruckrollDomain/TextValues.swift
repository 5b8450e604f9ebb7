/// Field values typed as text (a CSV cell, a `--set name=value` argument), turned into JSON by the field's type.
extension FieldType {
    /// The JSON value `text` stands for; an empty text is no value (`nil`).
    /// References are numeric ids here; resolving codes is the importer's job.
    /// - Returns: The value, or a message saying what the text should look like.
    public func jsonValue(fromText text: String) -> Result<JSONValue?, TextValueError> {
        let trimmed = text.trimmedOfSpaces
        if trimmed.isEmpty { return .success(nil) }
        switch self {
        case .text, .code, .choice, .date, .timestamp, .timeOfDay, .timeZone:
            return .success(.string(trimmed))
        case .integer, .reference:
            guard let number = Int(trimmed) else { return .failure(TextValueError("must be a whole number, not \"\(trimmed.prefix(40))\"")) }
            return .success(.number(Double(number)))
        case .decimal:
            guard let number = Double(trimmed), number.isFinite else { return .failure(TextValueError("must be a number, not \"\(trimmed.prefix(40))\"")) }
            return .success(.number(number))
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "yes", "y", "1": return .success(.bool(true))
            case "false", "no", "n", "0": return .success(.bool(false))
            default: return .failure(TextValueError("must be true or false, not \"\(trimmed.prefix(40))\""))
            }
        case .references:
            var ids: [JSONValue] = []
            for item in trimmed.split(separator: ";") {
                guard let id = Int(String(item).trimmedOfSpaces) else {
                    return .failure(TextValueError("must be ids separated by ';', not \"\(item.prefix(40))\""))
                }
                ids.append(.number(Double(id)))
            }
            return .success(.array(ids))
        case .object, .list:
            guard let value = JSONValue(parsing: trimmed) else {
                return .failure(TextValueError("must be JSON (an object or a list), e.g. [{\"skill\": \"laser\", \"level\": 3}]"))
            }
            return .success(value)
        }
    }
}

/// Why a text does not fit a field.
public struct TextValueError: Error, Equatable, Sendable {
    public let message: String

    init(_ message: String) { self.message = message }
}

extension String {
    /// The text without leading and trailing white space.
    public var trimmedOfSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
