import FoundationEssentials

/// Charts of report rows (JSON objects with a `group` member and figures).
extension SVGChart {
    /// One bar per group: `figure` of each row.
    /// - Parameters:
    ///   - rows: The report's rows, in the order to draw them.
    ///   - figure: The member plotted, e.g. `downtime_hours`.
    ///   - title: The chart's title.
    ///   - label: What the figure measures.
    public static func bars(_ rows: [JSONObject], figure: String, title: String, label: String) -> SVGChart {
        SVGChart(kind: .bar, title: title, valueLabel: label, categories: rows.map { $0["group"]?.stringValue ?? "" },
                 series: [Series(name: label, values: rows.map { number($0[figure]) })])
    }

    /// One line per group across the slices of a period: `figure` of the group's row in each slice.
    ///
    /// At most `maximumSeries` groups are drawn: those with the largest total of the figure.
    /// - Parameters:
    ///   - slices: Each slice's label (e.g. its first day) and rows.
    ///   - figure: The member plotted, e.g. `restore_compliance_pct`.
    ///   - title: The chart's title.
    ///   - label: What the figure measures.
    public static func trend(
        _ slices: [(label: String, rows: [JSONObject])], figure: String, title: String, label: String, maximumSeries: Int = 10
    ) -> SVGChart {
        var totals: [String: Double] = [:]
        var values: [String: [Int: Double]] = [:]
        for (index, slice) in slices.enumerated() {
            for row in slice.rows {
                guard let group = row["group"]?.stringValue, let value = number(row[figure]) else { continue }
                totals[group, default: 0] += value
                values[group, default: [:]][index] = value
            }
        }
        let groups = totals.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(maximumSeries).map(\.key)
        return SVGChart(kind: .line, title: title, valueLabel: label, categories: slices.map(\.label),
                        series: groups.map { group in Series(name: group, values: slices.indices.map { values[group]?[$0] }) })
    }

    private static func number(_ value: JSONValue?) -> Double? {
        if case .number(let number)? = value { number } else { nil }
    }
}
