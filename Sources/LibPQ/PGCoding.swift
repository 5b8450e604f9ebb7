import Foundation  // NSDecimalNumber: exact 64-bit significands of Decimal, fast

/// A PostgreSQL type OID, as sent with each bound parameter.
public struct PGTypeOID: Hashable, Sendable {
    /// The numeric OID.
    public let rawValue: UInt32
    /// Wraps an OID.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Lets the server infer the type from context (used for text, so that enum columns accept it).
    public static let unspecified = PGTypeOID(0)
    public static let bool = PGTypeOID(16)
    public static let bytea = PGTypeOID(17)
    public static let int8 = PGTypeOID(20)
    public static let int4 = PGTypeOID(23)
    public static let text = PGTypeOID(25)
    public static let float8 = PGTypeOID(701)
    public static let textArray = PGTypeOID(1009)
    public static let int8Array = PGTypeOID(1016)
    public static let timestamptz = PGTypeOID(1184)
    public static let numeric = PGTypeOID(1700)
    public static let uuid = PGTypeOID(2950)
    public static let jsonb = PGTypeOID(3802)
}

/// One bound parameter: its type and its value in text or binary format, or SQL NULL.
public struct PGBind: Sendable {
    /// The wire representation of a non-NULL value.
    public enum Value: Sendable {
        /// Text format (format code 0).
        case text(String)
        /// Binary format (format code 1); used for `bytea`.
        case binary([UInt8])
    }

    /// The type sent to the server.
    public var oid: PGTypeOID
    /// The value, or `nil` for NULL.
    public var value: Value?

    /// Creates a bind.
    public init(oid: PGTypeOID, value: Value?) {
        self.oid = oid
        self.value = value
    }
}

/// A Swift value that can be sent to PostgreSQL as a bound parameter.
///
/// Only conforming types can be interpolated into a ``PGQuery``, which is what keeps values out of SQL text.
public protocol PGEncodable: Sendable {
    /// The parameter to bind for this value.
    var pgBind: PGBind { get }
}

/// A Swift value that can be read from a PostgreSQL result in text format.
public protocol PGDecodable: Sendable {
    /// Decodes a non-NULL value from its text representation; returns `nil` if the text is not a valid value.
    init?(pgText: String)
    /// The value that SQL NULL decodes to, or `nil` if NULL is not acceptable (the default).
    static var pgNullValue: Self? { get }
}

extension PGDecodable {
    public static var pgNullValue: Self? { nil }
}

/// A type that is both ``PGEncodable`` and ``PGDecodable``.
public typealias PGCodable = PGEncodable & PGDecodable

// MARK: - Text-based scalars

extension String: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .unspecified, value: .text(self)) }
    public init?(pgText: String) { self = pgText }
}

extension Int: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .int8, value: .text(String(self))) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Int64: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .int8, value: .text(String(self))) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Int32: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .int4, value: .text(String(self))) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Bool: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .bool, value: .text(self ? "t" : "f")) }
    public init?(pgText: String) {
        switch pgText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Double: PGCodable {
    public var pgBind: PGBind {
        let text: String
        if isNaN {
            text = "NaN"
        } else if isInfinite {
            text = self < 0 ? "-Infinity" : "Infinity"
        } else {
            text = "\(self)"
        }
        return PGBind(oid: .float8, value: .text(text))
    }

    public init?(pgText: String) {
        switch pgText {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(pgText)
        }
    }
}

extension Decimal: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .numeric, value: .text(pgNumericText)) }

    /// The exact decimal text of the value. `description` is exact too but costs microseconds a value, which
    /// dominates bulk loads; significands that fit in 64 bits (every amount of money) take a fast exact path.
    var pgNumericText: String {
        guard !isNaN else { return "NaN" }
        let magnitude = significand
        guard magnitude <= Decimal.largestFastSignificand else { return description }
        var digits = Array(String(NSDecimalNumber(decimal: magnitude).uint64Value).utf8)
        if exponent > 0 {
            digits += repeatElement(UInt8(ascii: "0"), count: exponent)
        } else if exponent < 0 {
            let fractionDigits = -exponent
            if digits.count <= fractionDigits {
                digits.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: fractionDigits - digits.count + 1), at: 0)
            }
            digits.insert(UInt8(ascii: "."), at: digits.count - fractionDigits)
        }
        if sign == .minus && !isZero { digits.insert(UInt8(ascii: "-"), at: 0) }
        return String(decoding: digits, as: UTF8.self)
    }

    private static let largestFastSignificand = Decimal(UInt64.max)
    public init?(pgText: String) {
        guard let value = Decimal(string: pgText, locale: nil), !value.isNaN else { return nil }
        self = value
    }
}

extension UUID: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .uuid, value: .text(uuidString.lowercased())) }
    public init?(pgText: String) { self.init(uuidString: pgText) }
}

extension Date: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .timestamptz, value: .text(PGTimestamp.format(self))) }
    public init?(pgText: String) {
        guard let date = PGTimestamp.parse(pgText) else { return nil }
        self = date
    }
}

// MARK: - Bytes

/// Raw bytes, stored as `bytea` and sent in binary format.
extension Data: PGCodable {
    public var pgBind: PGBind { PGBind(oid: .bytea, value: .binary(Array(self))) }

    /// Decodes the server's `hex` output format (`\x0a1b…`).
    public init?(pgText: String) {
        let utf8 = Array(pgText.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            return nil
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = Self.hexValue(utf8[index]), let low = Self.hexValue(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes)
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

// MARK: - Arrays

/// Element types of one-dimensional PostgreSQL arrays (`text[]`, `bigint[]`).
public protocol PGArrayElement: PGCodable {
    /// The OID of the array type whose elements are this type.
    static var pgArrayOID: PGTypeOID { get }
    /// The element's text, before array quoting.
    var pgArrayElementText: String { get }
}

extension String: PGArrayElement {
    public static var pgArrayOID: PGTypeOID { .textArray }
    public var pgArrayElementText: String { self }
}

extension Int: PGArrayElement {
    public static var pgArrayOID: PGTypeOID { .int8Array }
    public var pgArrayElementText: String { String(self) }
}

extension Int64: PGArrayElement {
    public static var pgArrayOID: PGTypeOID { .int8Array }
    public var pgArrayElementText: String { String(self) }
}

extension Array: PGEncodable where Element: PGArrayElement {
    public var pgBind: PGBind {
        PGBind(oid: Element.pgArrayOID, value: .text(PGArrayLiteral.encode(map(\.pgArrayElementText))))
    }
}

extension Array: PGDecodable where Element: PGArrayElement {
    /// Decodes a one-dimensional array; NULL elements make it fail (use a non-null array column).
    public init?(pgText: String) {
        guard let elements = PGArrayLiteral.decode(pgText) else { return nil }
        var values: [Element] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let element, let value = Element(pgText: element) else { return nil }
            values.append(value)
        }
        self = values
    }
}

// MARK: - Optionals and enums

extension Optional: PGEncodable where Wrapped: PGEncodable {
    public var pgBind: PGBind {
        switch self {
        case .some(let value): value.pgBind
        case .none: PGBind(oid: Self.nullOID, value: nil)
        }
    }

    private static var nullOID: PGTypeOID {
        // A NULL still needs a type when the context cannot infer one; reuse the wrapped type's.
        if let sample = (Wrapped.self as? any PGTypeProvider.Type) { return sample.pgTypeOID }
        return .unspecified
    }
}

extension Optional: PGDecodable where Wrapped: PGDecodable {
    public init?(pgText: String) {
        guard let value = Wrapped(pgText: pgText) else { return nil }
        self = .some(value)
    }

    public static var pgNullValue: Self? { .some(.none) }
}

/// Types whose PostgreSQL type is known without a value, so a NULL of that type can be typed.
public protocol PGTypeProvider {
    /// The OID sent for this type.
    static var pgTypeOID: PGTypeOID { get }
}

extension Int: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .int8 } }
extension Int64: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .int8 } }
extension Int32: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .int4 } }
extension Bool: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .bool } }
extension Double: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .float8 } }
extension Decimal: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .numeric } }
extension UUID: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .uuid } }
extension Date: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .timestamptz } }
extension Data: PGTypeProvider { public static var pgTypeOID: PGTypeOID { .bytea } }

/// Enums stored by their raw value (a `text` column or a PostgreSQL enum type): declare `PGCodable` conformance.
extension PGEncodable where Self: RawRepresentable, RawValue: PGEncodable {
    public var pgBind: PGBind { rawValue.pgBind }
}

extension PGDecodable where Self: RawRepresentable, RawValue: PGDecodable {
    public init?(pgText: String) {
        guard let raw = RawValue(pgText: pgText) else { return nil }
        self.init(rawValue: raw)
    }
}

// MARK: - JSON

/// A `Codable` value stored as `jsonb`.
public struct PGJSON<Value: Codable & Sendable>: PGCodable {
    /// The wrapped value.
    public let value: Value
    private let text: String

    /// Wraps a value, encoding it to JSON at once so that an unencodable value fails here, not at bind time.
    /// - Throws: `EncodingError` for values JSON cannot represent (such as a non-finite `Double`).
    public init(_ value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.value = value
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public var pgBind: PGBind { PGBind(oid: .jsonb, value: .text(text)) }

    public init?(pgText: String) {
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(pgText.utf8)) else { return nil }
        self.value = value
        self.text = pgText
    }
}
