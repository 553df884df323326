-- A ticket's search terms live beside it, in ticket_terms, instead of in
-- its row. Every change to a ticket (a message counted, a status, an
-- assignee) writes a new version of the row, and PostgreSQL inserts each
-- version into every index of the table: with the terms in the row, each
-- appended message re-inserted all of its ticket's terms into the search
-- index (and the keeper merged them again). The terms change only when the
-- ticket's text does. Existing rows keep their text in tickets.search,
-- which nothing reads any more; new rows leave it empty, as on SQLite.
CREATE TABLE ticket_terms (
  id TEXT PRIMARY KEY REFERENCES tickets(id),
  tenant_id TEXT NOT NULL,
  search TEXT NOT NULL
);
INSERT INTO ticket_terms (id, tenant_id, search) SELECT id, tenant_id, search FROM tickets;
DROP INDEX tickets_search;
CREATE INDEX tickets_search ON ticket_terms USING gin ((string_to_array(search, ' ')));
