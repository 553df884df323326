-- Relay between parties (issue 4, item 8; story 2): support carries
-- messages between a ticket's customer and a third party (a driver, a
-- courier, a merchant) without showing either side the other's number or
-- address. 0003 made the tables; this gives them what the relay needs.

-- A party's restriction (its account restricted by someone with the
-- restrict_party authority) and its last change.
ALTER TABLE parties ADD COLUMN restricted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE parties ADD COLUMN restriction_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE parties ADD COLUMN restriction_ticket_id TEXT NOT NULL DEFAULT '';
ALTER TABLE parties ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX parties_list ON parties(tenant_id, kind, name);

-- How a relay ended: resolved (its commitment kept) or another outcome
-- (its commitment released with the reason).
ALTER TABLE relays ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE relays ADD COLUMN outcome_note TEXT NOT NULL DEFAULT '';
ALTER TABLE relays ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';

-- Each relayed message: body is what crossed to the other side (contact
-- details masked), original what its author wrote (kept for audits, served
-- by no route), origin who wrote it (agent, customer, party), message_id
-- the ticket message that shows it. Messages to the party are their own
-- durable outbox: state pending until the tenant's SMS channel took them
-- (sent), or dead after the last retry; held for a party's reply that came
-- after the relay was closed; '' for a reply relayed to the customer.
ALTER TABLE relay_messages ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_messages ADD COLUMN original TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_messages ADD COLUMN masked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE relay_messages ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_messages ADD COLUMN sms_text TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_messages ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE relay_messages ADD COLUMN next_at BIGINT;
ALTER TABLE relay_messages ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE relay_messages ADD COLUMN sent_at BIGINT;
CREATE INDEX relay_messages_due ON relay_messages(next_at) WHERE state = 'pending';

-- The authority to restrict a party goes to the default roles that carry
-- it for new tenants (safety, supervisor, admin); other roles get it only
-- when an administrator adds it.
UPDATE roles SET limits = (limits::jsonb || '{"restrict_party":{"max_amount":0}}'::jsonb)::text
  WHERE name IN ('admin', 'supervisor', 'safety') AND limits LIKE '{%';
