-- The `sla` report's stored summary (docs/metrics.md): what each restored call's response and restore clocks came
-- to, computed by the same code as the direct computation and refreshed from the event log. A row counts only while
-- the call, its contract and its site's time zone are as they were when it was computed (versions and zone match);
-- any other call is computed directly when the report runs, so a stale or missing row costs time, never accuracy.
-- A call's holds come from its events, which are written with the move that bumps its version.
CREATE TABLE sla_outcome (
    service_request_id bigint PRIMARY KEY REFERENCES service_request ON DELETE CASCADE,
    request_version bigint NOT NULL,
    contract_version bigint NOT NULL,
    time_zone text NOT NULL,
    -- NULL when the contract sets no target of that kind for the call's priority.
    response text CHECK (response IN ('met', 'breached')),
    restore text CHECK (restore IN ('met', 'breached')),
    breach_cause text CHECK (breach_cause IN ('own_dispatch', 'waiting_for_parts', 'waiting_for_vendor')),
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sla_outcome_cause_check CHECK ((restore IS NOT DISTINCT FROM 'breached') = (breach_cause IS NOT NULL))
);
