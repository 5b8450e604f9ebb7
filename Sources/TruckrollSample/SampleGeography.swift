import Foundation

/// Where the sample business works: the towns of a region around Lyon, and the names and streets found there.
enum SampleGeography {
    /// A town: its centre, how far its sites spread, its share of the business.
    struct Town: Sendable {
        let name: String
        let postcode: String
        let latitude: Double
        let longitude: Double
        let radiusKilometres: Double
        let weight: Double
    }

    /// Lyon first: the demo works there alone; larger samples add the region's towns.
    static let towns: [Town] = [
        Town(name: "Lyon", postcode: "69003", latitude: 45.7600, longitude: 4.8400, radiusKilometres: 14, weight: 10),
        Town(name: "Saint-Étienne", postcode: "42000", latitude: 45.4397, longitude: 4.3872, radiusKilometres: 8, weight: 3),
        Town(name: "Grenoble", postcode: "38000", latitude: 45.1885, longitude: 5.7245, radiusKilometres: 9, weight: 3.5),
        Town(name: "Villefranche-sur-Saône", postcode: "69400", latitude: 45.9897, longitude: 4.7186, radiusKilometres: 5, weight: 1),
        Town(name: "Vienne", postcode: "38200", latitude: 45.5253, longitude: 4.8742, radiusKilometres: 5, weight: 1),
        Town(name: "Clermont-Ferrand", postcode: "63000", latitude: 45.7772, longitude: 3.0870, radiusKilometres: 8, weight: 2.5),
        Town(name: "Annecy", postcode: "74000", latitude: 45.8992, longitude: 6.1294, radiusKilometres: 6, weight: 2),
        Town(name: "Chambéry", postcode: "73000", latitude: 45.5646, longitude: 5.9178, radiusKilometres: 6, weight: 1.5),
        Town(name: "Valence", postcode: "26000", latitude: 44.9334, longitude: 4.8924, radiusKilometres: 6, weight: 1.5),
        Town(name: "Bourg-en-Bresse", postcode: "01000", latitude: 46.2052, longitude: 5.2255, radiusKilometres: 5, weight: 1),
        Town(name: "Roanne", postcode: "42300", latitude: 46.0344, longitude: 4.0726, radiusKilometres: 5, weight: 1),
        Town(name: "Mâcon", postcode: "71000", latitude: 46.3069, longitude: 4.8287, radiusKilometres: 5, weight: 1),
    ]

    /// The towns a business of this many technicians covers: Lyon alone up to 60, then more of the region.
    static func towns(forTechnicians technicians: Int) -> [Town] {
        switch technicians {
        case ...60: Array(towns.prefix(1))
        case ...300: Array(towns.prefix(5))
        default: towns
        }
    }

    /// A point within `radius` kilometres of a town's centre, denser near the centre.
    static func point(near town: Town, radius: Double? = nil, using random: inout SplitMix64) -> (latitude: Double, longitude: Double) {
        let distance = (radius ?? town.radiusKilometres) * random.unit().squareRoot() * random.unit().squareRoot()
        let bearing = random.double(0...(2 * Double.pi))
        let latitude = town.latitude + distance * cos(bearing) / 111.2
        let longitude = town.longitude + distance * sin(bearing) / (111.2 * cos(town.latitude * Double.pi / 180))
        return ((latitude * 1e6).rounded() / 1e6, (longitude * 1e6).rounded() / 1e6)
    }

    /// Great-circle distance in kilometres.
    static func kilometres(_ a: (latitude: Double, longitude: Double), _ b: (latitude: Double, longitude: Double)) -> Double {
        let radians = Double.pi / 180
        let dLatitude = (b.latitude - a.latitude) * radians
        let dLongitude = (b.longitude - a.longitude) * radians
        let h = sin(dLatitude / 2) * sin(dLatitude / 2)
            + cos(a.latitude * radians) * cos(b.latitude * radians) * sin(dLongitude / 2) * sin(dLongitude / 2)
        return 2 * 6371 * asin(min(1, h.squareRoot()))
    }

    /// Minutes to drive between two points: winding roads at 35 km/h in town, plus parking.
    static func driveMinutes(_ a: (latitude: Double, longitude: Double), _ b: (latitude: Double, longitude: Double)) -> Int {
        let kilometres = kilometres(a, b) * 1.3
        let speed = kilometres < 15 ? 30.0 : 65.0
        return 8 + Int((kilometres / speed * 60).rounded())
    }

    static let streets = [
        "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard des Belges", "rue Garibaldi",
        "cours Lafayette", "rue Paul Bert", "avenue Berthelot", "rue de Marseille", "quai Claude Bernard",
        "rue Pasteur", "avenue des Frères Lumière", "rue Servient", "rue de la Part-Dieu", "boulevard Vivier Merle",
        "rue Gambetta", "avenue Félix Faure", "rue du Président Édouard Herriot", "rue Mercière", "chemin des Vignes",
        "rue de l'Industrie", "avenue de la Gare", "rue des Tanneurs", "allée des Tilleuls", "rue du Stade",
    ]

    /// A street address in a town.
    static func address(in town: Town, using random: inout SplitMix64) -> String {
        "\(random.int(1...180)) \(random.pick(streets)), \(town.postcode) \(town.name)"
    }

    static let firstNames = [
        "Amélie", "Karim", "Julie", "Thomas", "Sophie", "Nicolas", "Camille", "Mehdi", "Laura", "Antoine", "Claire",
        "Julien", "Inès", "Maxime", "Sarah", "Romain", "Manon", "Hugo", "Léa", "Lucas", "Chloé", "Yanis", "Emma",
        "Paul", "Nadia", "Olivier", "Pauline", "Samir", "Marion", "Bastien", "Élodie", "Florian", "Aïcha", "Quentin",
    ]

    static let lastNames = [
        "Roux", "Benali", "Lefèvre", "Girard", "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel",
        "Garcia", "David", "Bertrand", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André", "Mercier",
        "Blanc", "Guérin", "Boyer", "Chevalier", "Perrin", "Morel", "Mathieu", "Clément", "Gauthier", "Nicolas",
        "Haddad", "Lopez", "Bonnet", "Dupont", "Lambert", "Fabre", "Masson", "Marchand", "Duval",
    ]

    /// A person's full name.
    static func personName(using random: inout SplitMix64) -> String {
        "\(random.pick(firstNames)) \(random.pick(lastNames))"
    }
}
