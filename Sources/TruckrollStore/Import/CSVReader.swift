/// Reads RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes), remembering the line each record
/// starts on, so that import errors can name it.
struct CSVReader {
    /// A record and the 1-based line it starts on.
    struct Record {
        let line: Int
        let fields: [String]
    }

    /// Why a file is not CSV.
    struct Malformed: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "line \(line): \(message)" }
    }

    /// Splits `text` into records; a trailing newline does not make an empty record, blank lines are skipped.
    static func records(_ text: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var fieldWasQuoted = false
        let bytes = Array(text.utf8)
        var index = bytes.startIndex
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\n"):
                endRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw Malformed(line: line, message: "a quote inside an unquoted field (quote the whole field and double inner quotes)")
                }
                inQuotes = true
                fieldWasQuoted = true
            default:
                field.append(byte)
            }
        }
        if inQuotes { throw Malformed(line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
