#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RouteOptimization

/// A point on the Earth, in degrees.
public struct Coordinate: Hashable, Sendable, Codable {
    /// Degrees north.
    public var latitude: Double
    /// Degrees east.
    public var longitude: Double

    /// Creates a coordinate.
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// Where travel times come from. The default is ``GreatCircleTravel``; a road-network engine (OSRM, Valhalla, a
/// vendor's matrix API) implements the same two members.
public protocol TravelModel: Sendable {
    /// What the plan records as the model used, e.g. "great-circle × 1.3 at 40 km/h".
    var description: String { get }
    /// Minutes and kilometres from one point to another.
    func leg(from: Coordinate, to: Coordinate) -> (minutes: Double, kilometres: Double)
    /// The matrix between `points` (node i is `points[i]`), computed once per planning run.
    func matrix(_ points: [Coordinate]) -> TravelMatrix
}

/// Travel along the great circle, lengthened by a road factor, at an average speed.
public struct GreatCircleTravel: TravelModel {
    /// Road distance over great-circle distance (1.3 is typical of towns and suburbs).
    public var roadFactor: Double
    /// Average door-to-door speed, km/h.
    public var averageSpeedKmh: Double
    /// Above this many points the matrix is not stored: points are projected on a plane around their centre
    /// (equirectangular; within 1 % across a region 150 km wide, checked by a test) and legs are computed when needed, in O(n) memory.
    public var largestDenseMatrix: Int

    /// Creates the model.
    public init(roadFactor: Double = 1.3, averageSpeedKmh: Double = 40, largestDenseMatrix: Int = 2_500) {
        self.roadFactor = roadFactor
        self.averageSpeedKmh = averageSpeedKmh
        self.largestDenseMatrix = largestDenseMatrix
    }

    public var description: String {
        "great-circle distance × \(roadFactor) at \(averageSpeedKmh) km/h"
    }

    static let earthRadiusKm = 6_371.0088

    /// Haversine distance in km.
    static func greatCircleKm(_ a: Coordinate, _ b: Coordinate) -> Double {
        let radians = Double.pi / 180
        let dLat = (b.latitude - a.latitude) * radians
        let dLon = (b.longitude - a.longitude) * radians
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.latitude * radians) * cos(b.latitude * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * earthRadiusKm * asin(min(1, h.squareRoot()))
    }

    public func leg(from: Coordinate, to: Coordinate) -> (minutes: Double, kilometres: Double) {
        let kilometres = Self.greatCircleKm(from, to) * roadFactor
        return (kilometres / averageSpeedKmh * 60, kilometres)
    }

    public func matrix(_ points: [Coordinate]) -> TravelMatrix {
        let count = points.count
        guard count > largestDenseMatrix else {
            var times = [Double](repeating: 0, count: count * count)
            var distances = [Double](repeating: 0, count: count * count)
            for from in 0..<count {
                for to in (from + 1)..<max(from + 1, count) {
                    let (minutes, kilometres) = leg(from: points[from], to: points[to])
                    times[from * count + to] = minutes
                    times[to * count + from] = minutes
                    distances[from * count + to] = kilometres
                    distances[to * count + from] = kilometres
                }
            }
            return TravelMatrix(nodeCount: count, times: times, distances: distances)
        }
        // Planar points scaled so that the Euclidean distance is the travel time in minutes.
        let centreLatitude = points.reduce(0) { $0 + $1.latitude } / Double(count) * Double.pi / 180
        let kmPerDegree = Self.earthRadiusKm * Double.pi / 180
        let minutesPerKm = roadFactor / averageSpeedKmh * 60
        return TravelMatrix(euclideanPoints: points.map {
            (x: $0.longitude * kmPerDegree * cos(centreLatitude) * minutesPerKm, y: $0.latitude * kmPerDegree * minutesPerKm)
        })
    }
}
