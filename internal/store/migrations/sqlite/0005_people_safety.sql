-- A user's mobile number, for alerts sent by SMS (on-call, escalation
-- rungs). Empty means the user gets no SMS.
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- The steps of an emergency's playbook that someone has done: who, when,
-- and what they noted. One row a step (doing it again keeps the first).
CREATE TABLE emergency_steps (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  emergency_id TEXT NOT NULL REFERENCES emergencies(id),
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  step TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  done_by TEXT NOT NULL,
  done_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX emergency_steps_step ON emergency_steps(emergency_id, step);

-- The authority to share a trip's location with the police goes to the
-- default roles that carry it for new tenants (safety, supervisor, admin).
UPDATE roles SET limits = json_set(limits, '$.share_location', json('{"max_amount":0}'))
  WHERE name IN ('admin', 'supervisor', 'safety') AND json_valid(limits) AND json_type(limits) = 'object';

-- Breach prediction reads how long each kind of target took lately.
CREATE INDEX commitments_made ON commitments(tenant_id, kind, made_at);
