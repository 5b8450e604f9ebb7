import Foundation
import Testing
import TruckrollDomain

/// `JSONValue(json:)` and `jsonText` against Foundation's `JSONDecoder`, which the API used before.
@Suite struct JSONTextTests {
    static let documents = [
        #"{"id": 12833, "locked": false, "outcome": null, "latitude": 45.829981, "longitude": -4.8e-3, "tags": ["a", "b"]}"#,
        #"[1, -0, 0.5, 1e3, 2E-2, -12.75e+1, 9007199254740993, 1.7976931348623157e308]"#,
        #"{"text": "quote \" backslash \\ slash \/ tab \t newline \n cr \r bs \b ff \f", "u": "\u00e9\u20ac\ud83d\ude80\u0000"}"#,
        #"  {"nested": {"deeper": [[], {}, [{"x": [true, false, null]}]]}, "empty": "", "unicode": "Größe 字 🚐"}  "#,
        #""just a string""#, "42", "true", "null",
    ]

    @Test func parsesWhatFoundationParsesToTheSameValues() throws {
        for document in Self.documents {
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
            #expect(try JSONValue(json: document) == foundation, "\(document)")
        }
        #expect(try JSONValue(json: #"{"same": 1, "same": 2}"#) == ["same": 2], "the last of repeated names wins, as in jsonb")
    }

    @Test func rejectsWhatIsNotJSONWithTheOffset() {
        let invalid: [(String, Int)] = [
            ("", 0), ("{", 1), (#"{"a" 1}"#, 5), (#"{"a": 1,}"#, 8), ("[1, 2", 5), ("[1 2]", 3), ("01", 1), ("1.", 2), ("-", 1),
            ("1e", 2), (".5", 0), ("+1", 0), ("nul", 0), ("True", 0), ("\"tab\tinside\"", 4), (#""\x""#, 2), (#""\u12""#, 3),
            (#""\ud83d""#, 7), (#""\ude80""#, 7), (#""open"#, 5), ("{} {}", 3), ("1e999", 0), ("[NaN]", 1), (#"{'a': 1}"#, 1),
        ]
        for (text, offset) in invalid {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONValue(json: text) }
            do {
                _ = try JSONValue(json: text)
            } catch {
                #expect(error.offset == offset, "\(text): \(error)")
            }
            // Foundation accepts a trailing comma; RFC 8259 does not, and neither does PostgreSQL.
            if !text.hasSuffix(",}") {
                #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) == nil, "Foundation rejects \(text) too")
            }
        }
    }

    @Test func nestingIsBounded() throws {
        let deepest = String(repeating: "[", count: JSONValue.maximumNestingDepth) + String(repeating: "]", count: JSONValue.maximumNestingDepth)
        #expect(throws: Never.self) { try JSONValue(json: deepest) }
        let tooDeep = "[" + deepest + "]"
        #expect(throws: JSONSyntaxError.self) { try JSONValue(json: tooDeep) }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = Array(#"{"name": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONSyntaxError.self) {
            try bytes.withUnsafeBufferPointer { try JSONValue(utf8: $0) }
        }
    }

    @Test func writtenTextReadsBackEqualAndAsTheCodableEncodingDoes() throws {
        for document in Self.documents {
            let value = try JSONValue(json: document)
            let text = value.jsonText
            #expect(try JSONValue(json: text) == value, "\(text)")
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value, "Foundation reads \(text)")
        }
        let numbers: JSONValue = [12833, 0.5, -3, 1e20, 123.456]
        #expect(numbers.jsonText == "[12833,0.5,-3,1e+20,123.456]")
        let encoded = String(decoding: try JSONEncoder().encode(JSONValue.array([12833, -3, 0.5])), as: UTF8.self)
        #expect(encoded == JSONValue.array([12833, -3, 0.5]).jsonText)
        #expect(JSONValue.string("a\u{1}b\"c\\d\ne").jsonText == #""a\u0001b\"c\\d\ne""#)
    }
}
