-- Reports (docs/metrics.md): indexes for their period scans and for the parts of the event log they read.
-- (0004 is left to the planning work.)

-- Calls by when they were reported: every call report's period.
CREATE INDEX service_request_reported_at_idx ON service_request (reported_at);

-- A call's moves to tier 2, dispatch or a remote resolution (the `calls` report), and its holds (SLA clocks and
-- breach causes): small slices of the log, read for many calls at once.
CREATE INDEX event_request_path_idx ON event (entity_id) WHERE entity = 'service_request'
    AND to_status IN ('escalated', 'dispatch_needed', 'resolved_remotely');
CREATE INDEX event_request_hold_idx ON event (entity_id, id) WHERE entity = 'service_request'
    AND (to_status = 'on_hold' OR from_status = 'on_hold');

-- RMAs by request time and parts by use time: the `rma` and `parts` reports' periods.
CREATE INDEX rma_created_at_idx ON rma (created_at);
CREATE INDEX visit_part_used_at_idx ON visit_part (used_at);
