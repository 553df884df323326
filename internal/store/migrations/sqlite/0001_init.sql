-- kefu schema, SQLite. Times are Unix microseconds (UTC); ids are UUIDv7 text;
-- JSON is stored as text; booleans as 0/1. Every tenant-owned row has tenant_id
-- and every query filters by it.

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  locale TEXT NOT NULL DEFAULT 'zh-Hans',
  time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
  created_at INTEGER NOT NULL
);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  parent_id TEXT REFERENCES orgs(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX orgs_tenant ON orgs(tenant_id);

CREATE TABLE departments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  org_id TEXT REFERENCES orgs(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX departments_tenant ON departments(tenant_id);

CREATE TABLE vendors (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  contact TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE INDEX vendors_tenant ON vendors(tenant_id);

CREATE TABLE queues (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  org_id TEXT REFERENCES orgs(id),
  name TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '',
  skills TEXT NOT NULL DEFAULT '[]',
  in_house_only INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX queues_tenant ON queues(tenant_id);

CREATE TABLE customer_tiers (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  rank INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, code)
);

CREATE TABLE roles (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  permissions TEXT NOT NULL DEFAULT '[]',
  limits TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  tier TEXT NOT NULL DEFAULT '',
  vendor_id TEXT REFERENCES vendors(id),
  department_id TEXT REFERENCES departments(id),
  locale TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  platform_admin INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
-- One sign-in name across the installation: the login form has no tenant field.
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_tenant ON users(tenant_id, kind);

CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role_id TEXT NOT NULL REFERENCES roles(id),
  org_id TEXT REFERENCES orgs(id)
);
CREATE INDEX grants_user ON grants(user_id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  grant_id TEXT REFERENCES grants(id),
  name TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(tenant_id, user_id);

CREATE TABLE sessions (
  id_hash BLOB PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  org_id TEXT REFERENCES orgs(id),
  name TEXT NOT NULL,
  tier TEXT NOT NULL,
  locale TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '{}',
  merged_into TEXT,
  search TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX customers_list ON customers(tenant_id, updated_at, id);

CREATE TABLE customer_identities (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  customer_id TEXT NOT NULL REFERENCES customers(id),
  kind TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '', -- org id for external ids, '' otherwise
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX customer_identities_value ON customer_identities(tenant_id, kind, scope, value);
CREATE INDEX customer_identities_customer ON customer_identities(customer_id);

CREATE TABLE customer_merges (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  survivor_id TEXT NOT NULL REFERENCES customers(id),
  merged_id TEXT NOT NULL REFERENCES customers(id),
  identity_ids TEXT NOT NULL,
  ticket_ids TEXT NOT NULL,
  by_user TEXT NOT NULL,
  at INTEGER NOT NULL,
  undone_by TEXT,
  undone_at INTEGER
);
CREATE INDEX customer_merges_customer ON customer_merges(tenant_id, survivor_id);

CREATE TABLE counters (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE tickets (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  number INTEGER NOT NULL,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  channel TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  customer_id TEXT NOT NULL REFERENCES customers(id),
  queue_id TEXT REFERENCES queues(id),
  assignee_id TEXT REFERENCES users(id),
  department_id TEXT REFERENCES departments(id),
  parent_id TEXT REFERENCES tickets(id),
  repeat_count INTEGER NOT NULL DEFAULT 0,
  message_count INTEGER NOT NULL DEFAULT 0,
  search TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  solved_at INTEGER,
  closed_at INTEGER
);
CREATE UNIQUE INDEX tickets_number ON tickets(tenant_id, number);
CREATE INDEX tickets_updated ON tickets(tenant_id, updated_at, id);
CREATE INDEX tickets_created ON tickets(tenant_id, created_at, id);
CREATE INDEX tickets_status ON tickets(tenant_id, status, updated_at, id);
CREATE INDEX tickets_assignee ON tickets(tenant_id, assignee_id, updated_at, id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_queue ON tickets(tenant_id, queue_id, updated_at, id) WHERE queue_id IS NOT NULL;
CREATE INDEX tickets_customer ON tickets(tenant_id, customer_id, updated_at, id);
CREATE INDEX tickets_department ON tickets(tenant_id, department_id, updated_at, id) WHERE department_id IS NOT NULL;
CREATE INDEX tickets_parent ON tickets(parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE ticket_tags (
  tenant_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  PRIMARY KEY (tenant_id, tag, ticket_id)
);

CREATE TABLE ticket_links (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  other_id TEXT NOT NULL REFERENCES tickets(id),
  kind TEXT NOT NULL,
  by_user TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, other_id)
);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  kind TEXT NOT NULL,
  author_id TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL,
  body TEXT NOT NULL,
  attachments TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, created_at, id);

CREATE TABLE commitments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  kind TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  due_at INTEGER NOT NULL,
  owner_id TEXT REFERENCES users(id),
  department_id TEXT REFERENCES departments(id),
  state TEXT NOT NULL,
  made_by TEXT NOT NULL,
  made_at INTEGER NOT NULL,
  kept_at INTEGER,
  released_by TEXT,
  released_at INTEGER,
  release_reason TEXT
);
CREATE INDEX commitments_ticket ON commitments(ticket_id);
CREATE INDEX commitments_due ON commitments(state, due_at);

CREATE TABLE action_requests (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  action TEXT NOT NULL,
  amount INTEGER NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  decision_note TEXT
);
CREATE INDEX action_requests_state ON action_requests(tenant_id, state, requested_at);
CREATE INDEX action_requests_ticket ON action_requests(ticket_id);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE INDEX events_entity ON events(tenant_id, entity_id, seq);
CREATE INDEX events_ticket ON events(tenant_id, ticket_id, seq) WHERE ticket_id <> '';
CREATE INDEX events_tenant ON events(tenant_id, seq);

CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  ticket_id TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL,
  direction TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL
);
CREATE INDEX contacts_customer ON contacts(tenant_id, customer_id, at);

CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks(tenant_id);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id),
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER,
  locked_until INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(tenant_id, webhook_id, created_at);

CREATE TABLE idempotency (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  principal TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, principal, key)
);
CREATE INDEX idempotency_created ON idempotency(created_at);

-- Full-text search over segmented terms (see internal/search). Contentless
-- tables keyed by the owning row's rowid keep the index small.
CREATE VIRTUAL TABLE tickets_fts USING fts5(search, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE customers_fts USING fts5(search, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');

CREATE TABLE attachments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  storage_key TEXT NOT NULL,
  uploaded_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX attachments_tenant ON attachments(tenant_id, created_at);
