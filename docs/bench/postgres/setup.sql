-- ceiling.sh: the ticket numbers and time-ordered ids the scripts use.
CREATE SEQUENCE IF NOT EXISTS bench_num START 1000000;
CREATE OR REPLACE FUNCTION bid() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || substr(gen_random_uuid()::text, 14)
  FROM (SELECT lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0') AS h) x
$$;
