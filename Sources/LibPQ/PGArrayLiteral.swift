/// PostgreSQL's text representation of one-dimensional arrays (`{"a","b c",NULL}`).
enum PGArrayLiteral {
    /// Encodes elements, quoting every one so that commas, braces, quotes, backslashes and the word NULL stay data.
    static func encode(_ elements: [String]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes a one-dimensional array literal; unquoted `NULL` becomes `nil`. Returns `nil` when malformed.
    static func decode(_ text: String) -> [String?]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        var elements: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if index == end { return [] }
        while index < end {
            if scalars[index] == "\"" {
                var element = String.UnicodeScalarView()
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    guard index < end else { return nil }
                    element.append(scalars[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1
                elements.append(String(element))
            } else {
                var element = String.UnicodeScalarView()
                while index < end, scalars[index] != "," {
                    guard scalars[index] != "{" else { return nil }  // nested arrays are not supported
                    element.append(scalars[index])
                    index += 1
                }
                let value = String(element)
                elements.append(value == "NULL" ? nil : value)
            }
            if index < end {
                guard scalars[index] == "," else { return nil }
                index += 1
                if index == end { return nil }
            }
        }
        return elements
    }
}
