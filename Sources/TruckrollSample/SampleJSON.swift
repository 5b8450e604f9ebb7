/// JSON text for the `jsonb` columns and event data, written directly: the generator writes millions of small
/// objects, and an encoder per object would dominate the load.
enum SampleJSON {
    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A JSON value: a string, a number, a boolean, or JSON text already written.
    enum Value {
        case string(String)
        case int(Int)
        case bool(Bool)
        case raw(String)

        var text: String {
            switch self {
            case .string(let text): SampleJSON.quoted(text)
            case .int(let number): String(number)
            case .bool(let flag): flag ? "true" : "false"
            case .raw(let json): json
            }
        }
    }

    /// An object with its members in the given order.
    static func object(_ members: [(String, Value)]) -> String {
        "{" + members.map { quoted($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
    }

    /// An array of JSON texts.
    static func array(_ elements: [String]) -> String {
        "[" + elements.joined(separator: ", ") + "]"
    }

    /// Weekly hours: `[{"days": [...], "start": "08:00", "end": "17:00"}]`.
    static func weeklyHours(days: [String], start: String, end: String) -> String {
        array([object([("days", .raw(array(days.map(quoted)))), ("start", .string(start)), ("end", .string(end))])])
    }
}
