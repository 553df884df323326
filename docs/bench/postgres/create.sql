-- The rows kefu writes for :n new tickets from new customers, each with a
-- first message (ceiling.sh): customer, phone identity, ticket, its search
-- terms, message, contact record, three events and the Idempotency-Key, in
-- one statement. Ids are time-ordered like kefu's UUIDv7 (bid(), setup.sql);
-- :tenant, :org and :usr name the tenant kefu made at its first start.
WITH nums AS (SELECT nextval('bench_num') AS num FROM generate_series(1, :n)),
src AS (SELECT bid() AS cid, bid() AS tid, bid() AS mid, num, (13000000000 + num)::text AS phone,
    (extract(epoch from clock_timestamp()) * 1000000)::bigint AS now FROM nums),
a0 AS (INSERT INTO customers (id, tenant_id, org_id, name, tier, locale, attributes, search, created_at, updated_at)
    SELECT cid, :tenant, :org, '马杰', 'standard', '', '{}', '马杰 ' || phone, now, now FROM src),
a1 AS (INSERT INTO customer_identities (id, tenant_id, customer_id, kind, scope, value, created_at)
    SELECT bid(), :tenant, cid, 'phone', '', phone, now FROM src),
a2 AS (INSERT INTO tickets (id, tenant_id, number, org_id, channel, subject, status, priority, category, tags, customer_id,
    queue_id, assignee_id, department_id, parent_id, message_count, search, created_at, updated_at, solved_at, closed_at, repeat_count)
    SELECT tid, :tenant, num, :org, 'app', 'Wrong item received', 'new', 'normal', 'delivery', '[]', cid,
    NULL, NULL, NULL, NULL, 1, '', now, now, NULL, NULL, 0 FROM src),
a3 AS (INSERT INTO events (id, tenant_id, at, actor_id, actor_kind, type, entity_kind, entity_id, ticket_id, before, after)
    SELECT bid(), :tenant, now, :usr, 'user', e.typ, e.kind, CASE WHEN e.kind = 'customer' THEN cid ELSE tid END,
    CASE WHEN e.kind = 'customer' THEN '' ELSE tid END, NULL, repeat('x', e.len)
    FROM src, (VALUES ('customer.created', 'customer', 450), ('ticket.created', 'ticket', 900), ('intake.decided', 'ticket', 450)) e(typ, kind, len)),
a4 AS (INSERT INTO ticket_terms (id, tenant_id, search)
    SELECT tid, :tenant, '1 wrong item received delivery 我的 的订 订单 x' || phone || ' 还没 没有 有发 发货 请帮 帮我 我查 查询 询物 物流' FROM src),
a5 AS (INSERT INTO messages (id, tenant_id, ticket_id, kind, author_id, channel, body, attachments, created_at)
    SELECT mid, :tenant, tid, 'customer', cid, 'app', '我的订单 X756651 还没有发货，请帮我查询物流', '[]', now FROM src),
a6 AS (INSERT INTO contacts (id, tenant_id, customer_id, ticket_id, message_id, channel, direction, user_id, at)
    SELECT bid(), :tenant, cid, tid, mid, 'app', 'in', '', now FROM src)
INSERT INTO idempotency (tenant_id, principal, key, request_hash, status, body, created_at)
    SELECT :tenant, :usr, 'bench-' || tid, repeat('a', 64), 201, convert_to(repeat('x', 778), 'UTF8'), now FROM src;
