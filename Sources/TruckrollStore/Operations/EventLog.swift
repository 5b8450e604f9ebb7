import FoundationEssentials
import LibPQ
import TruckrollDomain

/// The append-only log of every state change of requests, visits, RMAs and alerts: who, when, from, to, why.
/// Written in the same transaction as the change it records; the database refuses updates and deletes.
enum EventLog {
    static func append(
        _ entity: String, id: Int, kind: String, from: String? = nil, to: String? = nil, reason: String? = nil,
        data: JSONObject? = nil, by principal: Principal, on connection: PGConnection
    ) async throws {
        let json = data.map(RegistryStore.encoded)
        try await connection.execute("""
            INSERT INTO event (actor_user_id, actor, entity, entity_id, kind, from_status, to_status, reason, data)
            VALUES (\(principal.userID == 0 ? nil : principal.userID), \(principal.username), \(entity), \(id), \(kind),
                    \(from), \(to), \(reason), \(json)::jsonb)
            """)
    }
}
