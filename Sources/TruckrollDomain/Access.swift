/// What a user does in the company, and so what Truckroll lets them see and change.
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Manages users, tokens and the whole registry.
    case admin
    /// Help desk, tiers 1 and 2: logs calls, resolves remotely, escalates; reads the registry.
    case supportAgent = "support_agent"
    /// Owns the queue and the technicians' days.
    case dispatcher
    /// A field technician: their own profile, van and jobs.
    case technician
    /// Deals with one vendor: that vendor's contracts and the units under them.
    case vendorCoordinator = "vendor_coordinator"
    /// Reads everything, changes nothing; runs the reports.
    case manager
}

/// Who is calling: the user behind a token.
public struct Principal: Sendable, Equatable {
    public let userID: Int
    public let username: String
    public let role: Role
    /// The technician a `technician` user is.
    public let technicianID: Int?
    /// The vendor a `vendor_coordinator` user works with.
    public let vendorID: Int?

    public init(userID: Int, username: String, role: Role, technicianID: Int? = nil, vendorID: Int? = nil) {
        self.userID = userID
        self.username = username
        self.role = role
        self.technicianID = technicianID
        self.vendorID = vendorID
    }
}

/// Which rows of a resource a role reaches.
public enum Scope: Sendable, Equatable {
    /// Every row.
    case all
    /// Only the rows the caller owns: their technician, van and stock; their vendor and what it backs; their user and tokens.
    case own
}

/// Who may read and who may change a resource, and how far.
public struct Access: Sendable {
    /// Roles that may read, and which rows.
    public var read: [Role: Scope]
    /// Roles that may create, update and delete, and which rows.
    public var write: [Role: Scope]

    public init(read: [Role: Scope], write: [Role: Scope]) {
        self.read = read
        self.write = write
    }

    /// Everyone in the office reads; admins write.
    static let office = Access(
        read: [.admin: .all, .supportAgent: .all, .dispatcher: .all, .manager: .all], write: [.admin: .all]
    )

    /// Adds or replaces read rights.
    func reading(_ extra: [Role: Scope]) -> Access {
        Access(read: read.merging(extra) { $1 }, write: write)
    }

    /// Adds or replaces write rights.
    func writing(_ extra: [Role: Scope]) -> Access {
        Access(read: read, write: write.merging(extra) { $1 })
    }
}
