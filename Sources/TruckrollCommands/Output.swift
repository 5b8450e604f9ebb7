import Foundation
import TruckrollDomain

/// How commands print records: aligned tables for people, JSON for scripts.
enum Output {
    /// Prints objects as a table with the given columns (missing values blank, nested values as compact JSON).
    static func table(_ rows: [JSONObject], columns: [String]) {
        let cells = rows.map { row in columns.map { text(row[$0]) } }
        let widths = columns.indices.map { index in
            min(48, ([columns[index].count] + cells.map { $0[index].count }).max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { value, width in
                let clipped = value.count > width ? String(value.prefix(width - 1)) + "…" : value
                return clipped.padding(toLength: width, withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(columns.map { $0.uppercased() }))
        for row in cells { print(line(row)) }
    }

    /// Prints one object as `field: value` lines in the resource's field order.
    static func record(_ object: JSONObject, fields: [String]) {
        let width = fields.map(\.count).max() ?? 0
        for field in fields where object[field] != nil {
            print(field.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text(object[field]))
        }
    }

    /// Prints a JSON value, pretty and with sorted keys.
    static func json(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
    }

    /// A value as one line of text.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .bool(let flag)?: flag ? "yes" : "no"
        case .number?, .array?, .object?:
            String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
        }
    }

    /// The columns a table of `resource` shows: id, the required fields, then choices (status, criticality …).
    static func columns(for resource: Resource) -> [String] {
        let scalar = resource.fields.filter { field in
            guard field.access == .writable else { return false }
            switch field.type {
            case .object, .list, .references: return false
            case .text(let maxLength): return maxLength <= 200
            default: return true
            }
        }
        let choices = scalar.filter { if case .choice = $0.type { !$0.isRequired } else { false } }
        return Array((["id"] + scalar.filter(\.isRequired).map(\.name) + choices.map(\.name)).prefix(8))
    }
}
