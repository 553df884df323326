-- kefu's rows of six agent replies, in one statement: the ticket counts
-- (UPDATE … RETURNING, as touchTickets sends them), messages, contact
-- records, events and Idempotency-Keys. Variables as in create.sql; each
-- pgbench client writes to its own 75 tickets (no lock waits between them).
\set n0 1000000 + :client_id * 75 + random(0, 74)
\set n1 1000000 + :client_id * 75 + random(0, 74)
\set n2 1000000 + :client_id * 75 + random(0, 74)
\set n3 1000000 + :client_id * 75 + random(0, 74)
\set n4 1000000 + :client_id * 75 + random(0, 74)
\set n5 1000000 + :client_id * 75 + random(0, 74)
WITH u AS (UPDATE tickets t SET message_count = t.message_count + 1, updated_at = (extract(epoch from clock_timestamp())*1000000)::bigint
    WHERE t.tenant_id = :tenant AND t.number IN (:n0, :n1, :n2, :n3, :n4, :n5) RETURNING t.id, t.customer_id),
src AS (SELECT u.id AS tid, u.customer_id AS cid, bid() AS mid, (extract(epoch from clock_timestamp())*1000000)::bigint AS now FROM u),
a0 AS (INSERT INTO messages (id, tenant_id, ticket_id, kind, author_id, channel, body, attachments, created_at)
    SELECT mid, :tenant, tid, 'agent', :usr, 'app', '您好，已为您查询，包裹预计明天送达，请留意短信通知。', '[]', now FROM src),
a1 AS (INSERT INTO contacts (id, tenant_id, customer_id, ticket_id, message_id, channel, direction, user_id, at)
    SELECT bid(), :tenant, cid, tid, mid, 'app', 'out', :usr, now FROM src),
a2 AS (INSERT INTO events (id, tenant_id, at, actor_id, actor_kind, type, entity_kind, entity_id, ticket_id, before, after)
    SELECT bid(), :tenant, now, :usr, 'user', 'message.created', 'message', mid, tid, NULL, repeat('x', 400) FROM src)
INSERT INTO idempotency (tenant_id, principal, key, request_hash, status, body, created_at)
    SELECT :tenant, :usr, 'bench-' || mid, repeat('a', 64), 201, convert_to(repeat('x', 400), 'UTF8'), now FROM src;
