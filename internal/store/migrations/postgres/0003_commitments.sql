-- Commitments that are real (issue 4): every promise gets a timer (a
-- reminder, the miss, an escalation ladder), alerts to people go through a
-- durable outbox, tenants keep their rules as settings, and support relays
-- messages to third parties (drivers, couriers, merchants) without exposing
-- anyone's number.

-- next_at: when the commitment's timer acts next (NULL: settled, paused or
-- its ladder done); stage: steps taken (0 before the reminder, 1 reminded,
-- 2 missed, 2+k after the k-th rung); level: rungs reached.
ALTER TABLE commitments ADD COLUMN next_at BIGINT;
ALTER TABLE commitments ADD COLUMN stage BIGINT NOT NULL DEFAULT 0;
ALTER TABLE commitments ADD COLUMN level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE commitments ADD COLUMN missed_at BIGINT;
ALTER TABLE commitments ADD COLUMN paused_at BIGINT;
ALTER TABLE commitments ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN customer_visible BIGINT NOT NULL DEFAULT 1;
ALTER TABLE commitments ADD COLUMN policy TEXT NOT NULL DEFAULT '';
ALTER TABLE commitments ADD COLUMN business BIGINT NOT NULL DEFAULT 0;
-- Commitments made before timers existed fall due as they are.
UPDATE commitments SET next_at = due_at, stage = 1 WHERE state = 'open';
CREATE INDEX commitments_next ON commitments(next_at) WHERE next_at IS NOT NULL;
CREATE INDEX commitments_open ON commitments(tenant_id, state, due_at) WHERE state IN ('open', 'missed');

-- Alerts to people (owners, escalation rungs, on-call), written in the same
-- transaction as what caused them and sent with retries.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL,
  ticket_id TEXT NOT NULL DEFAULT '',
  alert TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_at BIGINT,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);
CREATE INDEX notifications_due ON notifications(next_at) WHERE state = 'pending';
CREATE INDEX notifications_tenant ON notifications(tenant_id, created_at);

-- A tenant's rules as JSON documents, one per name (commitments, sla, notify).
CREATE TABLE tenant_settings (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

-- Third parties known to the tenant. The phone is kept for relaying and
-- never shown whole.
CREATE TABLE parties (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  org_id TEXT REFERENCES orgs(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  external_id TEXT NOT NULL DEFAULT '',
  restricted_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX parties_external ON parties(tenant_id, kind, external_id) WHERE external_id <> '';

-- A relay: support carrying messages between a ticket's customer and a
-- party. code is what the party quotes when replying.
CREATE TABLE relays (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  party_id TEXT NOT NULL REFERENCES parties(id),
  code TEXT NOT NULL,
  state TEXT NOT NULL,
  commitment_id TEXT NOT NULL DEFAULT '',
  opened_by TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  closed_at BIGINT
);
CREATE UNIQUE INDEX relays_code ON relays(tenant_id, code);
CREATE INDEX relays_ticket ON relays(ticket_id);

CREATE TABLE relay_messages (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  relay_id TEXT NOT NULL REFERENCES relays(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  direction TEXT NOT NULL,
  body TEXT NOT NULL,
  by_id TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX relay_messages_relay ON relay_messages(relay_id, at);
