-- Routing: how each queue chooses work and agents, each agent's skills and
-- capacity, and presence with its full history (occupancy and adherence
-- read it later).

CREATE TABLE routing_queues (
  queue_id TEXT PRIMARY KEY REFERENCES queues(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  config TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX routing_queues_tenant ON routing_queues(tenant_id);

CREATE TABLE routing_agents (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  skills TEXT NOT NULL DEFAULT '{}',
  capacity TEXT NOT NULL DEFAULT '{}',
  wrap_up TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'offline',
  reason TEXT NOT NULL DEFAULT '',
  state_since BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX routing_agents_tenant ON routing_agents(tenant_id);

CREATE TABLE presence_log (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX presence_log_user ON presence_log(tenant_id, user_id, at);

-- Leases: which node holds a job that must have one holder at a time
-- (a tenant's routing engine). A lease is taken when free or expired and
-- renewed by its holder; a holder that cannot renew stops acting.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- Capacity per channel can be set per role (agents holding it take that
-- many at once) and per agent (which wins).
ALTER TABLE roles ADD COLUMN capacity TEXT NOT NULL DEFAULT '{}';

-- Intake: where emergencies go, and every emergency raised, pinned until a
-- person acknowledges it.
CREATE TABLE intake_settings (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  safety_queue_id TEXT REFERENCES queues(id),
  ack_target_seconds BIGINT NOT NULL DEFAULT 60,
  ladder TEXT NOT NULL DEFAULT '[]',
  updated_at BIGINT NOT NULL
);

CREATE TABLE emergencies (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  kind TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  reason TEXT NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  raised_at BIGINT NOT NULL,
  acked_by TEXT NOT NULL DEFAULT '',
  acked_at BIGINT,
  level BIGINT NOT NULL DEFAULT 0,
  escalated_at BIGINT
);
CREATE INDEX emergencies_open ON emergencies(tenant_id, acked_at, raised_at);
CREATE INDEX emergencies_ticket ON emergencies(ticket_id);
-- The escalation pass looks at every tenant's unacknowledged ones each second.
CREATE INDEX emergencies_unacked ON emergencies(raised_at) WHERE acked_at IS NULL;
