import Foundation
import FoundationXML
import Testing
import TruckrollDomain

/// The SVG renderer: well-formed XML, and bars and points where the values put them.
@Suite struct SVGChartTests {
    /// Every element's name and attributes, in document order; fails on malformed XML.
    final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String])] = []
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String]) {
            found.append((name, attributes))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        static func parse(_ svg: String) throws -> Elements {
            let elements = Elements()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = elements
            #expect(parser.parse(), "malformed SVG: \(parser.parserError.map(String.init(describing:)) ?? "")")
            return elements
        }
    }

    /// Plot area: y from 40 (top) to 320 (zero), 280 high; values 10, 25 and 40 on an axis to 50.
    @Test func barsAreWellFormedAndProportional() throws {
        let rows: [JSONObject] = [["group": "Finance", "downtime_hours": 10], ["group": "R&D <lab>", "downtime_hours": 25],
                                  ["group": "Sales", "downtime_hours": 40], ["group": "Empty"]]
        let chart = SVGChart.bars(rows, figure: "downtime_hours", title: "Downtime \"Q4\"", label: "downtime hours")
        let elements = try Elements.parse(chart.render())
        let bars = elements.found.filter { $0.name == "rect" && $0.attributes["data-value"] != nil }
        #expect(bars.map { $0.attributes["data-value"] } == ["10", "25", "40"])
        #expect(bars.map { $0.attributes["height"] } == ["56", "140", "224"])
        #expect(bars.map { $0.attributes["y"] } == ["264", "180", "96"])
        #expect(elements.text.contains("R&D <lab>") && elements.text.contains("Downtime \"Q4\""))
        #expect(elements.found.first?.name == "svg" && elements.found.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
    }

    /// Two groups over three weeks; a missing week is a gap, not a zero. Axis to 100 (largest 80).
    @Test func trendDrawsOneLinePerGroup() throws {
        let slices: [(label: String, rows: [JSONObject])] = [
            ("2026-11-02", [["group": "Finance", "restore_compliance_pct": 50], ["group": "Sales", "restore_compliance_pct": 80]]),
            ("2026-11-09", [["group": "Sales", "restore_compliance_pct": 75]]),
            ("2026-11-16", [["group": "Finance", "restore_compliance_pct": 25], ["group": "Sales", "restore_compliance_pct": 0]]),
        ]
        let chart = SVGChart.trend(slices, figure: "restore_compliance_pct", title: "SLA", label: "%")
        #expect(chart.series.map(\.name) == ["Sales", "Finance"])
        #expect(chart.series[1].values == [50, nil, 25])
        let elements = try Elements.parse(chart.render())
        let points = elements.found.filter { $0.name == "circle" }
        #expect(points.map { $0.attributes["data-value"] } == ["80", "75", "0", "50", "25"])
        #expect(points.map { $0.attributes["cy"] } == ["96", "110", "320", "180", "250"])
        #expect(elements.found.filter { $0.name == "polyline" }.count == 2)
    }

    @Test func anEmptyChartIsStillADocument() throws {
        let elements = try Elements.parse(SVGChart.bars([], figure: "calls", title: "Nothing", label: "calls").render())
        #expect(elements.found.contains { $0.name == "svg" } && !elements.found.contains { $0.attributes["data-value"] != nil })
    }
}
