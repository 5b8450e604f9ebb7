/// Travel times (minutes) and distances between the nodes of a problem, supplied by the caller.
///
/// Either a dense row-major matrix (from a routing engine), or planar points whose Euclidean distance is both the
/// time and the distance (1 unit = 1 minute), computed on demand so that very large instances need no n² memory.
public struct TravelMatrix: Sendable {
    /// Number of nodes.
    public let nodeCount: Int
    private let times: [Double]
    private let distances: [Double]
    private let xs: [Double]
    private let ys: [Double]
    private let isDense: Bool
    private let hasSeparateDistances: Bool

    /// Creates a dense matrix.
    /// - Parameters:
    ///   - nodeCount: number of nodes n.
    ///   - times: n × n travel minutes, row-major (`times[from * n + to]`).
    ///   - distances: n × n distances, row-major; `nil` means equal to `times`.
    /// - Precondition: the arrays have n × n entries.
    public init(nodeCount: Int, times: [Double], distances: [Double]? = nil) {
        precondition(times.count == nodeCount * nodeCount, "travel times must be nodeCount × nodeCount")
        precondition(distances.map { $0.count == nodeCount * nodeCount } ?? true, "distances must be nodeCount × nodeCount")
        self.nodeCount = nodeCount
        self.times = times
        self.distances = distances ?? []
        self.hasSeparateDistances = distances != nil
        self.isDense = true
        self.xs = []
        self.ys = []
    }

    /// Creates a matrix of unrounded Euclidean distances between points, computed on demand.
    /// - Parameter points: coordinates of each node.
    /// - Complexity: O(n) memory.
    public init(euclideanPoints points: [(x: Double, y: Double)]) {
        self.nodeCount = points.count
        self.xs = points.map(\.x)
        self.ys = points.map(\.y)
        self.times = []
        self.distances = []
        self.isDense = false
        self.hasSeparateDistances = false
    }

    /// Dense matrix of the Euclidean distances between points (faster lookups, n² memory).
    /// - Parameter points: coordinates of each node.
    /// - Returns: the matrix.
    /// - Complexity: O(n²) time and memory.
    public static func denseEuclidean(_ points: [(x: Double, y: Double)]) -> TravelMatrix {
        let onDemand = TravelMatrix(euclideanPoints: points)
        let count = points.count
        var times = [Double](repeating: 0, count: count * count)
        for from in 0..<count {
            for to in 0..<count { times[from * count + to] = onDemand.time(from, to) }
        }
        return TravelMatrix(nodeCount: count, times: times)
    }

    /// Travel minutes from one node to another.
    /// - Parameters:
    ///   - from: origin node.
    ///   - to: destination node.
    /// - Returns: minutes.
    @inline(__always)
    public func time(_ from: Int, _ to: Int) -> Double { lookup(from, to, distance: false) }

    /// Distance from one node to another.
    /// - Parameters:
    ///   - from: origin node.
    ///   - to: destination node.
    /// - Returns: distance units.
    @inline(__always)
    public func distance(_ from: Int, _ to: Int) -> Double { lookup(from, to, distance: true) }

    @inline(__always)
    private func lookup(_ from: Int, _ to: Int, distance: Bool) -> Double {
        if isDense {
            return distance && hasSeparateDistances ? distances[from * nodeCount + to] : times[from * nodeCount + to]
        }
        let dx = xs[from] - xs[to]
        let dy = ys[from] - ys[to]
        return (dx * dx + dy * dy).squareRoot()
    }
}
