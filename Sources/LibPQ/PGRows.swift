/// The rows a statement returned, copied out of libpq so they can cross tasks.
public struct PGRows: Sendable, RandomAccessCollection {
    /// Column names, in order.
    public let columns: [String]
    /// How many rows the statement inserted, updated, deleted or returned (from the command tag).
    public let affectedRows: Int
    let cells: [String?]

    init(columns: [String], cells: [String?], affectedRows: Int) {
        self.columns = columns
        self.cells = cells
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }

    public subscript(position: Int) -> PGRow {
        PGRow(columns: columns, cells: cells[position * columns.count..<(position + 1) * columns.count])
    }

    /// The only row, or `nil` when there is none.
    /// - Throws: ``PGError`` if there is more than one row.
    public func singleRow() throws -> PGRow? {
        guard count <= 1 else {
            throw PGError(kind: .decoding, message: "expected at most one row, got \(count)")
        }
        return first
    }
}

/// One result row; values are decoded on demand.
public struct PGRow: Sendable {
    /// Column names, in order.
    public let columns: [String]
    let cells: ArraySlice<String?>

    /// The raw text of a column, `nil` for NULL.
    public func text(at index: Int) -> String? { cells[cells.startIndex + index] }

    /// Decodes the column at `index`.
    /// - Throws: ``PGError`` of kind `.decoding` naming the column and the Swift type.
    public func decode<T: PGDecodable>(_ type: T.Type, at index: Int) throws -> T {
        guard index < columns.count else {
            throw PGError(kind: .decoding, message: "no column at index \(index) for \(T.self)", column: "#\(index)")
        }
        let column = columns[index]
        guard let text = cells[cells.startIndex + index] else {
            guard let null = T.pgNullValue else {
                throw PGError(kind: .decoding, message: "column \(column) is NULL, cannot decode \(T.self)", column: column)
            }
            return null
        }
        guard let value = T(pgText: text) else {
            throw PGError(kind: .decoding, message: "column \(column) cannot be decoded as \(T.self)", column: column)
        }
        return value
    }

    /// Decodes the column named `column`.
    /// - Throws: ``PGError`` of kind `.decoding` when the column is missing or its value does not fit `T`.
    public func decode<T: PGDecodable>(_ type: T.Type, column: String) throws -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw PGError(kind: .decoding, message: "no column \(column) for \(T.self)", column: column)
        }
        return try decode(type, at: index)
    }

    /// Decodes the leading columns as a tuple: `let (id, name) = try row.decode((Int, String).self)`.
    public func decode<each T: PGDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var index = 0
        func next<V: PGDecodable>(_ type: V.Type) throws -> V {
            defer { index += 1 }
            return try decode(type, at: index)
        }
        return (repeat try next((each T).self))
    }
}
