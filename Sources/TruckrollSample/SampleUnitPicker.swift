/// Picks units for new calls, more often the kinds that break more (copiers before switches).
struct SampleUnitPicker {
    private let unitIDs: [Int]
    private let cumulative: [Double]

    /// Units chosen among `unitIDs`, each weighted by its category's failure weight.
    init(unitIDs: [Int], units: [SampleRecord.Unit]) {
        self.unitIDs = unitIDs
        var total = 0.0
        cumulative = unitIDs.map { id in
            total += SampleCatalogue.models[units[id - 1].model].category.failureWeight
            return total
        }
    }

    var isEmpty: Bool { unitIDs.isEmpty }

    /// One unit id.
    /// - Complexity: O(log n).
    func pick(using random: inout SplitMix64) -> Int {
        let draw = random.unit() * cumulative[cumulative.count - 1]
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] <= draw { low = middle + 1 } else { high = middle }
        }
        return unitIDs[low]
    }
}
