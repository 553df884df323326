#!/usr/bin/env bash
# PostgreSQL alone, storing the rows kefu writes, fed by pgbench: the most
# the database can take on this machine, with no HTTP, no JSON and no kefu
# beside it (docs/benchmarks.md, "What PostgreSQL alone can take").
#
#   ceiling.sh KEFU_BINARY create N CLIENTS SECONDS   new tickets, N per statement
#   ceiling.sh KEFU_BINARY append CLIENTS SECONDS     six messages per statement
#   ceiling.sh KEFU_BINARY append-each CLIENTS SECONDS  six messages, an UPDATE each
#
# It makes (and leaves) the database kbceil on 127.0.0.1:5432 with kefu's
# schema and tenant, and prints the rate and the machine's CPU per row set
# (/proc/stat: all processes, pgbench included).
set -euo pipefail
cd "$(dirname "$0")"
KEFU=$1 WHAT=$2; shift 2
DB=kbceil PG=(-h 127.0.0.1 -U postgres)
dropdb "${PG[@]}" --if-exists $DB; createdb "${PG[@]}" $DB
DIR=$(mktemp -d); PORT=$((20000 + RANDOM % 20000))
"$KEFU" serve --addr 127.0.0.1:$PORT --data "$DIR/data" --db "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" >"$DIR/log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
kill $SERVER; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"
psql -qX "${PG[@]}" $DB -f setup.sql
one() { psql -qtAX "${PG[@]}" $DB -c "$1"; }
VARS=(-D tenant="$(one "SELECT id FROM tenants LIMIT 1")" -D org="$(one "SELECT id FROM orgs LIMIT 1")" -D usr="$(one "SELECT id FROM users LIMIT 1")")
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
case $WHAT in
create)
  N=$1 CLIENTS=$2 SECONDS_=$3 SCRIPT=create.sql PER=$1 ;;
append|append-each)
  CLIENTS=$1 SECONDS_=$2 SCRIPT=$WHAT.sql PER=6 N=1
  pgbench "${PG[@]}" -n -M prepared -c 4 -t 500 -f create.sql -D n=8 "${VARS[@]}" $DB >/dev/null # 16,000 tickets
  one "ANALYZE" ;;
*) echo "create, append or append-each" >&2; exit 2 ;;
esac
B0=$(busy)
TPS=$(pgbench "${PG[@]}" -n -M prepared -c "$CLIENTS" -j 1 -T "$SECONDS_" -f $SCRIPT -D n="$N" "${VARS[@]}" $DB | awk '/^tps/{print $3}')
B1=$(busy)
RATE=$(awk -v t="$TPS" -v p=$PER 'BEGIN{printf "%d", t * p}')
echo "$WHAT: $PER per statement, $CLIENTS clients: $RATE/s, $(( (B1 - B0) * 10000 / (RATE * SECONDS_) )) µs of the machine's CPU each"
