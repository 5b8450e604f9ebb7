/// The body of `POST /v1/plans`: what a dispatcher asks a planning run to do.
public enum PlanRequest {
    /// The fields, as documented in the API.
    public static let fields: [Field] = [
        Field("horizon_minutes", .integer(60...10_080), "How far ahead to plan, from now (default 1440: a day)."),
        Field("horizon_start", .timestamp, "When the horizon starts (default: when the run starts)."),
        Field("technician_ids", .references(to: "technicians"), "Plan only these technicians (default: every active one)."),
        Field("time_limit_seconds", .decimal(0.1...600, fractionDigits: 1), "Solver time limit (default 10)."),
        Field("disruption_budget", .integer(0...100_000), "At most this many booked visits change technician or are dropped."),
        Field("frozen_minutes", .integer(0...1_440), "Booked visits starting within this many minutes stay (repair runs; default 60)."),
        Field("repair", .boolean, "Repair the current plan (keep frozen visits, respect the disruption budget) instead of planning afresh."),
        Field("seed", .integer(0...Int(Int32.max)), "Random seed of the search (default 1)."),
        Field("what_if", .object([
            Field("unavailable_technician_ids", .references(to: "technicians"), "Technicians taken out."),
            Field("extra_technicians_like", .list(of: .reference(to: "technicians"), maxCount: 100),
                  "Add a technician like each of these (same skills, home, shifts and van)."),
            Field("disruption_budget", .integer(0...100_000), "Solve the changed run with this disruption budget instead."),
        ]), "Changed inputs: the run compares KPIs and is never applied."),
    ]

    /// Every problem with a request body, each naming its field.
    public static func problems(with body: JSONObject) -> [FieldError] {
        Field.problems(of: body, against: fields)
    }
}

/// The fields of `PATCH /v1/planning-policy`.
public enum PlanningPolicyFields {
    /// The fields, as documented in the API.
    public static let fields: [Field] = [
        Field("replan_on_events", .boolean, "Queue a repair run on a new P1 call, a technician's availability change, an RMA ETA change or a late visit."),
        Field("auto_apply", .boolean, "Apply repair runs as soon as they are solved."),
        Field("repair_horizon_minutes", .integer(60...10_080), "Horizon of repair runs."),
        Field("repair_time_limit_seconds", .decimal(0.1...600, fractionDigits: 1), "Solver time limit of repair runs."),
        Field("repair_disruption_budget", .integer(0...100_000), "Disruption budget of repair runs (null: none)."),
        Field("frozen_minutes", .integer(0...1_440), "Visits starting within this many minutes stay as booked."),
        Field("late_after_minutes", .integer(5...600), "A visit not started this long after its planned start is running late."),
    ]

    /// Every problem with a request body, each naming its field.
    public static func problems(with body: JSONObject) -> [FieldError] {
        Field.problems(of: body, against: fields)
    }
}
