import FoundationEssentials

/// A small bar or line chart drawn as standalone SVG: categories along the x axis, one or more series of values
/// against a y axis that starts at zero. Pure: it only turns numbers into markup.
///
/// Each bar or point carries its value in `data-value` and a `<title>` ("series, category: value"), so a reader
/// hovering it, or a test, sees the number plotted.
public struct SVGChart: Sendable, Equatable {
    /// Bars side by side per category, or one line per series.
    public enum Kind: String, Sendable {
        case bar, line
    }

    /// A named row of values, one per category; nil where there is none.
    public struct Series: Sendable, Equatable {
        public let name: String
        public let values: [Double?]

        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }

    public let kind: Kind
    public let title: String
    /// What the y axis measures, e.g. "downtime hours".
    public let valueLabel: String
    public let categories: [String]
    public let series: [Series]

    /// - Parameters:
    ///   - kind: Bars or lines.
    ///   - title: Shown above the chart.
    ///   - valueLabel: Shown beside the y axis.
    ///   - categories: The x axis labels, in order.
    ///   - series: The values; each has one per category (missing ones are not drawn).
    public init(kind: Kind, title: String, valueLabel: String, categories: [String], series: [Series]) {
        self.kind = kind
        self.title = title
        self.valueLabel = valueLabel
        self.categories = categories
        self.series = series
    }

    static let height = 400.0
    static let left = 70.0, right = 200.0, top = 40.0, bottom = 80.0

    /// 720 points, or wider so that each category gets 24.
    var width: Double { max(720, Self.left + Self.right + 24 * Double(categories.count)) }
    static let colours = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// The largest value on the y axis: a round number at or above every value (1 when there are none).
    var axisMaximum: Double {
        let largest = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        guard largest > 0 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= largest { magnitude *= 10 }
        while magnitude > largest { magnitude /= 10 }
        return [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= largest } ?? largest
    }

    /// The chart as an SVG document.
    public func render() -> String {
        let plotWidth = width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        let maximum = axisMaximum
        func y(_ value: Double) -> Double { Self.top + plotHeight * (1 - value / maximum) }
        let slot = plotWidth / Double(max(categories.count, 1))
        func x(_ index: Int) -> Double { Self.left + slot * (Double(index) + 0.5) }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(Self.height))" \
            viewBox="0 0 \(Self.number(width)) \(Self.number(Self.height))" font-family="sans-serif" font-size="11">
            <title>\(Self.escaped(title))</title>
            <text x="\(Self.number(Self.left))" y="22" font-size="14" font-weight="bold">\(Self.escaped(title))</text>
            <text transform="translate(14 \(Self.number(Self.top + plotHeight / 2))) rotate(-90)" text-anchor="middle">\(Self.escaped(valueLabel))</text>

            """
        for step in 0...4 {
            let value = maximum * Double(step) / 4
            svg += """
                <line x1="\(Self.number(Self.left))" x2="\(Self.number(Self.left + plotWidth))" y1="\(Self.number(y(value)))" \
                y2="\(Self.number(y(value)))" stroke="#ddd"/>
                <text x="\(Self.number(Self.left - 6))" y="\(Self.number(y(value) + 4))" text-anchor="end">\(Self.number(value))</text>

                """
        }
        for (index, category) in categories.enumerated() {
            svg += """
                <text transform="translate(\(Self.number(x(index))) \(Self.number(Self.top + plotHeight + 14))) rotate(30)">\(Self.escaped(category))</text>

                """
        }
        for (seriesIndex, line) in series.enumerated() {
            let colour = Self.colours[seriesIndex % Self.colours.count]
            svg += "<g class=\"series\" data-series=\"\(Self.escaped(line.name))\" fill=\"\(colour)\" stroke=\"\(colour)\">\n"
            let points = line.values.enumerated().compactMap { index, value in value.map { (index, $0) } }
            switch kind {
            case .bar:
                let barWidth = slot * 0.8 / Double(max(series.count, 1))
                for (index, value) in points {
                    let barX = x(index) - slot * 0.4 + barWidth * Double(seriesIndex)
                    svg += """
                        <rect x="\(Self.number(barX))" y="\(Self.number(y(value)))" width="\(Self.number(barWidth))" \
                        height="\(Self.number(y(0) - y(value)))" data-value="\(Self.number(value))" stroke="none">\
                        <title>\(Self.escaped("\(line.name), \(categories[index]): \(Self.number(value))"))</title></rect>

                        """
                }
            case .line:
                if points.count > 1 {
                    let path = points.map { "\(Self.number(x($0.0))),\(Self.number(y($0.1)))" }.joined(separator: " ")
                    svg += "<polyline points=\"\(path)\" fill=\"none\" stroke-width=\"2\"/>\n"
                }
                for (index, value) in points {
                    svg += """
                        <circle cx="\(Self.number(x(index)))" cy="\(Self.number(y(value)))" r="3" data-value="\(Self.number(value))">\
                        <title>\(Self.escaped("\(line.name), \(categories[index]): \(Self.number(value))"))</title></circle>

                        """
                }
            }
            let legendY = Self.top + 16 * Double(seriesIndex)
            svg += """
                <rect x="\(Self.number(width - Self.right + 12))" y="\(Self.number(legendY))" width="10" height="10" stroke="none"/>
                <text x="\(Self.number(width - Self.right + 28))" y="\(Self.number(legendY + 9))" stroke="none" fill="#000">\(Self.escaped(line.name))</text>
                </g>

                """
        }
        svg += """
            <line x1="\(Self.number(Self.left))" x2="\(Self.number(Self.left))" y1="\(Self.number(Self.top))" y2="\(Self.number(y(0)))" stroke="#000"/>
            <line x1="\(Self.number(Self.left))" x2="\(Self.number(Self.left + plotWidth))" y1="\(Self.number(y(0)))" y2="\(Self.number(y(0)))" stroke="#000"/>
            </svg>

            """
        return svg
    }

    /// A coordinate or value with at most two decimals and no trailing zeros.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Text safe inside an element or a double-quoted attribute.
    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
