-- A technician's open visits (GET /v1/me/visits, polled from every van) without reading their past visits.
CREATE INDEX visit_open_by_technician_idx ON visit (technician_id, planned_start, id)
    WHERE status IN ('planned', 'dispatched', 'en_route', 'on_site');
