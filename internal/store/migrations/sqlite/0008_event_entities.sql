-- A ticket's own events name it twice (entity_id = ticket_id), so both
-- events_entity and events_ticket held them: two of the three events of a
-- new ticket went into one index more than needed. events_entity now holds
-- only the events of other entities; Events finds a ticket's own through
-- events_ticket. A rebuild of one index.
DROP INDEX events_entity;
CREATE INDEX events_entity ON events(tenant_id, entity_id, seq) WHERE entity_id <> ticket_id;
