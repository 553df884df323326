-- Fewer B-trees written by every new ticket on SQLite. Each batch of writes
-- puts about one WAL page per B-tree it touches, so a table of small rows
-- whose only way in is one index is better as that index (WITHOUT ROWID;
-- not idempotency: its rows carry whole responses, and as a WITHOUT ROWID
-- table keyed by random keys they made every POST dearer), and events need
-- no sqlite_sequence row written per insert (rows are never deleted, so
-- max(seq)+1 never reuses a number). A rebuild: minutes on a database of a
-- million tickets.

CREATE TABLE events_new (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL, -- UUIDv7; seq orders, id names
  tenant_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  actor_kind TEXT NOT NULL,
  type TEXT NOT NULL,
  entity_kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  ticket_id TEXT NOT NULL DEFAULT '',
  before TEXT,
  after TEXT
);
INSERT INTO events_new (seq, id, tenant_id, at, actor_id, actor_kind, type, entity_kind, entity_id, ticket_id, before, after)
  SELECT seq, id, tenant_id, at, actor_id, actor_kind, type, entity_kind, entity_id, ticket_id, before, after FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_entity ON events(tenant_id, entity_id, seq);
CREATE INDEX events_ticket ON events(tenant_id, ticket_id, seq) WHERE ticket_id <> '';
CREATE INDEX events_tenant ON events(tenant_id, seq);

-- A customer's contacts are only ever read newest first.
CREATE TABLE contacts_new (
  id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  ticket_id TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL,
  direction TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, at, id)
) WITHOUT ROWID;
INSERT INTO contacts_new (id, tenant_id, customer_id, ticket_id, message_id, channel, direction, user_id, at)
  SELECT id, tenant_id, customer_id, ticket_id, message_id, channel, direction, user_id, at FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
