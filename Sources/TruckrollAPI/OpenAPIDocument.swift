import FoundationEssentials
import TruckrollDomain
import TruckrollStore

/// The OpenAPI 3.1 description of the API, generated from the same resource descriptions that drive the routes.
public enum OpenAPIDocument {
    /// The document as JSON.
    public static func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document())) ?? Data(), as: UTF8.self)
    }

    static func document() -> JSONValue {
        var paths: JSONObject = [
            "/health": .object(["get": operation("Health of the service and its database", tag: "operations", secured: false, responses: [
                "200": jsonResponse("Up", schema: .object(["type": "object"])),
                "503": problemResponse("The database is unreachable"),
            ])]),
            "/health/ready": .object(["get": operation("Ready for traffic: the database answers", tag: "operations", secured: false, responses: [
                "200": jsonResponse("Ready", schema: .object(["type": "object"])),
                "503": problemResponse("The database is unreachable"),
            ])]),
            "/health/live": .object(["get": operation("The process answers (whatever the database)", tag: "operations", secured: false, responses: [
                "200": jsonResponse("Alive", schema: .object(["type": "object"])),
            ])]),
            "/metrics": .object(["get": operation("Prometheus metrics: requests by route and status, latency, database pool", tag: "operations",
                                                  secured: false, responses: [
                "200": .object(["description": "Prometheus text format", "content": .object(["text/plain": .object(["schema": .object(["type": "string"])])])]),
            ])]),
            "/openapi.json": .object(["get": operation("This document", tag: "operations", secured: false, responses: [
                "200": jsonResponse("The OpenAPI document", schema: .object(["type": "object"])),
            ])]),
            "/v1/login": .object(["post": operation("Exchange a username and password for a token", tag: "access", secured: false,
                body: .object([
                    "type": "object", "additionalProperties": false, "required": ["username", "password"],
                    "properties": .object([
                        "username": .object(["type": "string", "minLength": 1]),
                        "password": .object(["type": "string", "minLength": 1]),
                        "token_name": .object(["type": "string"]),
                    ]),
                ]),
                responses: ["201": jsonResponse("A new token, with its secret shown once", schema: ref("TokenWithSecret")),
                            "401": problemResponse("Wrong credentials")])]),
            "/v1/me": .object(["get": operation("The caller's own user", tag: "access", responses: [
                "200": jsonResponse("The user", schema: ref("User")),
            ])]),
        ]
        var schemas: JSONObject = [
            "Problem": .object([
                "type": "object",
                "properties": .object([
                    "type": .object(["type": "string"]), "title": .object(["type": "string"]),
                    "status": .object(["type": "integer"]), "detail": .object(["type": "string"]),
                    "instance": .object(["type": "string"]), "current": .object(["type": "object"]),
                    "errors": .object(["type": "array", "items": .object([
                        "type": "object", "properties": .object(["field": .object(["type": "string"]), "message": .object(["type": "string"])]),
                    ])]),
                ]),
            ]),
        ]
        for resource in Registry.resources {
            let schemaName = typeName(resource.singular)
            schemas[schemaName] = schema(resource.fields.filter { $0.access != .writeOnly }, forOutput: true)
            schemas[schemaName + "Create"] = schema(resource.writableFields, forOutput: false)
            schemas[schemaName + "Patch"] = schema(resource.writableFields, forOutput: false, requireNothing: true)
            paths["/v1/\(resource.name)"] = .object(collectionOperations(resource, schemaName: schemaName))
            paths["/v1/\(resource.name)/{id}"] = .object(itemOperations(resource, schemaName: schemaName))
            if let lifecycle = resource.lifecycle {
                paths["/v1/\(resource.name)/{id}/transitions"] = .object(["post": operation(
                    "Move a \(resource.singular) to another status", tag: resource.name, parameters: [idParameter, ifMatchParameter],
                    body: transitionSchema(lifecycle),
                    responses: ["200": jsonResponse("The \(resource.singular) in its new status", schema: ref(schemaName)),
                                "409": problemResponse("Not a legal move from the current status; allowed lists the legal ones"),
                                "412": problemResponse("Stale If-Match"), "428": problemResponse("If-Match missing")]
                )])
            }
        }
        paths["/v1/visits/{id}/parts"] = .object(["post": operation(
            "Record a part fitted, taken from the technician's van", tag: "visits", parameters: [idParameter, ifMatchParameter],
            body: .object(["type": "object", "additionalProperties": false, "required": ["part_id"], "properties": .object([
                "part_id": .object(["type": "integer", "minimum": 1]), "quantity": .object(["type": "integer", "minimum": 1, "maximum": 1000]),
            ])]),
            responses: ["201": jsonResponse("What was taken and what is left in the van", schema: .object(["type": "object"])),
                        "409": problemResponse("Not on site, no van, or too few in the van"), "412": problemResponse("Stale If-Match")]
        )])
        paths["/v1/stock/transfers"] = .object(["post": operation(
            "Move parts between a depot and a van", tag: "stock",
            body: .object(["type": "object", "additionalProperties": false, "required": ["part_id", "quantity"], "properties": .object([
                "part_id": .object(["type": "integer", "minimum": 1]), "quantity": .object(["type": "integer", "minimum": 1]),
                "from_vehicle_id": .object(["type": "integer", "minimum": 1]), "from_depot_id": .object(["type": "integer", "minimum": 1]),
                "to_vehicle_id": .object(["type": "integer", "minimum": 1]), "to_depot_id": .object(["type": "integer", "minimum": 1]),
                "reason": .object(["type": "string", "maxLength": 500]),
            ])]),
            responses: ["201": jsonResponse("Quantities left at the source and now at the destination", schema: .object(["type": "object"])),
                        "409": problemResponse("Too few at the source")]
        )])
        paths["/v1/reports/{name}"] = .object(["get": operation(
            "A report over a period, as JSON, CSV or an SVG chart (definitions in docs/metrics.md); vendor coordinators read rma only, for their vendor",
            tag: "reports",
            parameters: [
                .object(["name": "name", "in": "path", "required": true, "schema": .object(["type": "string",
                    "enum": .array(ReportStore.Name.allCases.map { .string($0.rawValue) })])]),
                .object(["name": "from", "in": "query", "required": true, "schema": .object(["type": "string"])]),
                .object(["name": "to", "in": "query", "required": true, "schema": .object(["type": "string"])]),
                .object(["name": "by", "in": "query", "required": false, "schema": .object(["type": "string",
                    "enum": .array(ReportStore.Grouping.allCases.map { .string($0.rawValue) })])]),
                .object(["name": "format", "in": "query", "required": false, "schema": .object(["type": "string", "enum": ["json", "csv", "svg"]])]),
                .object(["name": "per", "in": "query", "required": false, "description": "With format=svg: a trend chart over slices of the period",
                         "schema": .object(["type": "string", "enum": .array(ReportStore.Step.allCases.map { .string($0.rawValue) })])]),
            ] + ["customer", "site", "department", "model", "vendor", "technician"].map { .object(["name": .string($0), "in": "query", "required": false,
                                                                           "schema": .object(["type": "integer"])]) }
              + ["priority", "call_type"].map { .object(["name": .string($0), "in": "query", "required": false, "schema": .object(["type": "string"])]) },
            responses: ["200": .object(["description": "The report's rows (JSON), as CSV, or a chart", "content": .object([
                "application/json": .object(["schema": .object(["type": "object"])]),
                "text/csv": .object(["schema": .object(["type": "string"])]),
                "image/svg+xml": .object(["schema": .object(["type": "string"])]),
            ])])]
        )])
        paths["/v1/me/visits"] = .object(["get": operation("The calling technician's visits still to do, in planned order", tag: "visits",
            responses: ["200": jsonResponse("Visits", schema: .object(["type": "object", "properties": .object([
                "items": .object(["type": "array", "items": ref("Visit")])])]))])])
        addPlanningPaths(&paths)
        schemas["TokenWithSecret"] = .object(["allOf": [ref("Token"), .object([
            "type": "object", "properties": .object(["secret": .object(["type": "string", "description": "Shown once; keep it safe."])]),
        ])]])
        return .object([
            "openapi": "3.1.0",
            "info": .object(["title": "Truckroll", "version": "1", "description": "Field-service registry, dispatch and reports."]),
            "paths": .object(paths),
            "components": .object([
                "schemas": .object(schemas),
                "securitySchemes": .object(["bearer": .object(["type": "http", "scheme": "bearer"])]),
            ]),
        ])
    }

    /// `/v1/plans`, `/v1/plans/{id}`, `/v1/plans/{id}/apply`, `/v1/planning-policy` and `/v1/board`.
    static func addPlanningPaths(_ paths: inout JSONObject) {
        let object = JSONValue.object(["type": "object"])
        let id = JSONValue.object(["name": "id", "in": "path", "required": true, "schema": .object(["type": "integer", "minimum": 1])])
        paths["/v1/plans"] = .object([
            "post": operation("Queue a planning run (a worker solves it; follow it with GET /v1/plans/{id})", tag: "planning",
                              body: schema(PlanRequest.fields, forOutput: false, requireNothing: true),
                              responses: ["202": jsonResponse("The queued run", schema: object)]),
            "get": operation("The latest planning runs, newest first", tag: "planning", parameters: [
                .object(["name": "status", "in": "query", "required": false, "schema": .object(["type": "string",
                    "enum": ["queued", "running", "done", "failed", "applied", "cancelled"]])]),
                .object(["name": "limit", "in": "query", "required": false, "schema": .object(["type": "integer", "minimum": 1, "maximum": 200])]),
            ], responses: ["200": jsonResponse("Runs", schema: object)]),
        ])
        paths["/v1/plans/{id}"] = .object(["get": operation(
            "A run: progress, then the plan for review (routes with ETAs, KPIs against the current plan and a naive dispatch, why)",
            tag: "planning", parameters: [id], responses: ["200": jsonResponse("The run", schema: object)])])
        paths["/v1/plans/{id}/apply"] = .object(["post": operation(
            "Apply a solved plan; items changed since it was computed are reported and left as they are", tag: "planning",
            parameters: [id], responses: ["200": jsonResponse("What was booked, moved, cancelled and skipped", schema: object),
                                          "409": problemResponse("Not a solved plan, already applied, or a what-if run")])])
        paths["/v1/planning-policy"] = .object([
            "get": operation("What triggers repair runs and how they run", tag: "planning", responses: ["200": jsonResponse("The policy", schema: object)]),
            "patch": operation("Change the planning policy", tag: "planning", body: schema(PlanningPolicyFields.fields, forOutput: false, requireNothing: true),
                               responses: ["200": jsonResponse("The policy", schema: object)]),
        ])
        paths["/v1/board"] = .object(["get": operation(
            "The booked routes per technician with downtime cost and SLA status", tag: "planning",
            parameters: [.object(["name": "hours", "in": "query", "required": false, "schema": .object(["type": "integer", "minimum": 1, "maximum": 168])])],
            responses: ["200": jsonResponse("The board", schema: object)])])
    }

    static func collectionOperations(_ resource: Resource, schemaName: String) -> JSONObject {
        let filters: [JSONValue] = resource.filters.map { filter in
            .object(["name": .string(filter.parameter), "in": "query", "required": false,
                     "schema": .object(["type": isNumeric(resource.field(filter.field)?.type) ? "integer" : "string"])])
        }
        let paging: [JSONValue] = [
            .object(["name": "limit", "in": "query", "required": false,
                     "schema": .object(["type": "integer", "minimum": 1, "maximum": 1000, "default": 50])]),
            .object(["name": "after", "in": "query", "required": false, "description": "next_cursor of the previous page",
                     "schema": .object(["type": "integer", "minimum": 0])]),
        ]
        let page = JSONValue.object([
            "type": "object", "required": ["items", "next_cursor"],
            "properties": .object(["items": .object(["type": "array", "items": ref(schemaName)]),
                                   "next_cursor": .object(["type": ["string", "null"]])]),
        ])
        let idempotency = JSONValue.object([
            "name": "Idempotency-Key", "in": "header", "required": false, "schema": .object(["type": "string", "maxLength": 200]),
        ])
        let createdSchema = resource.name == "tokens" ? ref("TokenWithSecret") : ref(schemaName)
        var createResponses: JSONObject = ["201": jsonResponse("Created", schema: createdSchema),
                                           "409": problemResponse("A unique value is already used")]
        if resource.name == "device-alerts" {
            createResponses["200"] = jsonResponse("The same alert was received before: nothing new was done (Idempotent-Replayed: true)",
                                                  schema: ref(schemaName))
        }
        return [
            "get": operation("List \(resource.name)", tag: resource.name, parameters: paging + filters,
                             responses: ["200": jsonResponse("A page, in id order", schema: page)]),
            "post": operation("Create a \(resource.singular)", tag: resource.name, parameters: [idempotency],
                              body: ref(schemaName + "Create"), responses: createResponses),
        ]
    }

    static let idParameter = JSONValue.object(["name": "id", "in": "path", "required": true, "schema": .object(["type": "integer", "minimum": 1])])
    static let ifMatchParameter = JSONValue.object(["name": "If-Match", "in": "header", "required": true,
                                                    "description": "The ETag of your last read", "schema": .object(["type": "string"])])

    /// The body of a transition: the target status, a reason, and what the targets need.
    static func transitionSchema(_ lifecycle: Lifecycle) -> JSONValue {
        var properties: JSONObject = [
            "to": .object(["type": "string", "enum": .array(lifecycle.statuses.map(JSONValue.string))]),
            "reason": .object(["type": "string", "maxLength": 2000]),
        ]
        for requirement in lifecycle.requirements.values.flatMap({ $0 }) {
            properties[requirement.field] = schema(for: requirement.type, forOutput: false)
        }
        for field in lifecycle.optionalFields { properties[field.name] = schema(for: field.type, forOutput: false) }
        return .object(["type": "object", "additionalProperties": false, "required": ["to"], "properties": .object(properties)])
    }

    static func itemOperations(_ resource: Resource, schemaName: String) -> JSONObject {
        let id = idParameter
        let ifMatch = ifMatchParameter
        var operations: JSONObject = [
            "get": operation("Read a \(resource.singular)", tag: resource.name, parameters: [id],
                             responses: ["200": jsonResponse("The \(resource.singular); ETag header gives its version", schema: ref(schemaName))]),
        ]
        if resource.name == "tokens" {
            operations["delete"] = operation("Revoke a token", tag: resource.name, parameters: [id],
                                             responses: ["200": jsonResponse("The revoked token", schema: ref(schemaName))])
            return operations
        }
        let stale: JSONObject = ["412": problemResponse("Stale If-Match; the problem carries the current version"),
                                 "428": problemResponse("If-Match missing")]
        if resource.isUpdatable {
            operations["patch"] = operation("Change a \(resource.singular) (JSON merge patch)", tag: resource.name, parameters: [id, ifMatch],
                                            body: ref(schemaName + "Patch"), bodyType: "application/merge-patch+json",
                                            responses: stale.merging(["200": jsonResponse("The updated \(resource.singular)", schema: ref(schemaName))]) { $1 })
        }
        if resource.isDeletable {
            operations["delete"] = operation("Delete a \(resource.singular)", tag: resource.name, parameters: [id, ifMatch],
                                             responses: stale.merging(["204": .object(["description": "Deleted"]),
                                                                       "409": problemResponse("Still referenced")]) { $1 })
        }
        return operations
    }

    static func operation(
        _ summary: String, tag: String, secured: Bool = true, parameters: [JSONValue] = [], body: JSONValue? = nil,
        bodyType: String = "application/json", responses: JSONObject
    ) -> JSONValue {
        var responses = responses
        responses["default"] = problemResponse("A problem (RFC 9457)")
        if body != nil {
            responses["400"] = problemResponse("Malformed JSON")
            responses["413"] = problemResponse("Body over 1 MiB")
            responses["422"] = problemResponse("Invalid fields, each named in errors")
        }
        if secured {
            responses["401"] = problemResponse("Missing, unknown, expired or revoked token")
            responses["403"] = problemResponse("The role may not do this")
            responses["404"] = problemResponse("No such record, or not yours")
            responses["429"] = problemResponse("The token sent more than its rate limit; retry after Retry-After seconds")
        }
        var operation: JSONObject = [
            "summary": .string(summary), "tags": [.string(tag)], "responses": .object(responses),
            "security": secured ? [.object(["bearer": []])] : [],
        ]
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body {
            var content: JSONObject = [bodyType: .object(["schema": body])]
            if bodyType != "application/json" { content["application/json"] = .object(["schema": body]) }
            operation["requestBody"] = .object(["required": true, "content": .object(content)])
        }
        return .object(operation)
    }

    static func jsonResponse(_ description: String, schema: JSONValue) -> JSONValue {
        .object(["description": .string(description), "content": .object(["application/json": .object(["schema": schema])])])
    }

    static func problemResponse(_ description: String) -> JSONValue {
        .object(["description": .string(description), "content": .object(["application/problem+json": .object(["schema": ref("Problem")])])])
    }

    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    static func typeName(_ singular: String) -> String {
        singular.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func isNumeric(_ type: FieldType?) -> Bool {
        switch type {
        case .integer?, .reference?: true
        default: false
        }
    }

    /// An object schema for `fields`; outputs allow `null` for optional fields, inputs allow unknown keys nowhere.
    static func schema(_ fields: [Field], forOutput: Bool, requireNothing: Bool = false) -> JSONValue {
        var properties: JSONObject = [:]
        for field in fields {
            var property = schema(for: field.type, forOutput: forOutput)
            if case .object(var object) = property {
                object["description"] = .string(field.summary)
                if field.access == .readOnly { object["readOnly"] = true }
                if !field.isRequired || forOutput, case .string(let type)? = object["type"] { object["type"] = [.string(type), "null"] }
                property = .object(object)
            }
            properties[field.name] = property
        }
        let required: [JSONValue] = requireNothing ? [] : fields.filter { forOutput ? $0.access == .readOnly && ["id", "version"].contains($0.name) || $0.isRequired : $0.isRequired }.map { .string($0.name) }
        var object: JSONObject = ["type": "object", "properties": .object(properties)]
        if !forOutput { object["additionalProperties"] = false }
        if !required.isEmpty { object["required"] = .array(required) }
        return .object(object)
    }

    static func schema(for type: FieldType, forOutput: Bool) -> JSONValue {
        switch type {
        case .text(let maxLength): .object(["type": "string", "minLength": 1, "maxLength": .number(Double(maxLength))])
        case .code: .object(["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[\\p{L}0-9_./:#-]+$"])
        case .integer(let range):
            .object(["type": "integer", "minimum": .number(Double(range.lowerBound)), "maximum": .number(Double(min(range.upperBound, 1 << 53)))])
        case .decimal(let range, _): .object(["type": "number", "minimum": .number(range.lowerBound), "maximum": .number(range.upperBound)])
        case .boolean: .object(["type": "boolean"])
        case .choice(let choices): .object(["type": "string", "enum": .array(choices.map(JSONValue.string))])
        case .date: .object(["type": "string", "format": "date"])
        case .timestamp: .object(["type": "string", "format": "date-time"])
        case .timeOfDay: .object(["type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"])
        case .timeZone: .object(["type": "string", "description": "IANA time zone"])
        case .reference(let resource): .object(["type": "integer", "minimum": 1, "description": .string("id of a row of \(resource)")])
        case .references(let resource):
            .object(["type": "array", "uniqueItems": true, "items": .object(["type": "integer", "minimum": 1]),
                     "description": .string("ids of rows of \(resource)")])
        case .object(let fields): schema(fields, forOutput: forOutput)
        case .list(let element, let maxCount):
            .object(["type": "array", "maxItems": .number(Double(maxCount)), "items": schema(for: element, forOutput: forOutput)])
        }
    }
}
