-- Staffing (issue 5): interval actuals imported from an ACD or a previous
-- system (tickets give arrivals, but kefu does not time the work on them
-- yet, so handle time comes from here), forecasts that planners edit by
-- hand with every change kept, and saved staffing plans with their shifts.

-- One row per queue, channel and interval start: contacts offered, handled,
-- and the total handle seconds of those handled.
CREATE TABLE staffing_actuals (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  queue_id TEXT NOT NULL REFERENCES queues(id),
  channel TEXT NOT NULL DEFAULT '',
  start_at INTEGER NOT NULL,
  seconds INTEGER NOT NULL,
  offered INTEGER NOT NULL,
  handled INTEGER NOT NULL,
  handle_seconds REAL NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, queue_id, channel, start_at)
);
CREATE INDEX staffing_actuals_time ON staffing_actuals(tenant_id, start_at);

-- The forecast itself (intervals, model, uplifts, calendar, backtest) is a
-- JSON document; version counts the hand edits.
CREATE TABLE staffing_forecasts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  queue_id TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  interval_seconds INTEGER NOT NULL,
  start_at INTEGER NOT NULL,
  days INTEGER NOT NULL,
  source TEXT NOT NULL,
  body TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX staffing_forecasts_tenant ON staffing_forecasts(tenant_id, created_at);

-- Every hand edit of a forecast: who, when, why, and what it changed.
CREATE TABLE staffing_forecast_edits (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  forecast_id TEXT NOT NULL REFERENCES staffing_forecasts(id),
  version INTEGER NOT NULL,
  by_user TEXT NOT NULL,
  at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  change TEXT NOT NULL
);
CREATE INDEX staffing_forecast_edits_forecast ON staffing_forecast_edits(tenant_id, forecast_id, at);

-- A plan: its inputs, the rows per interval and the shifts as JSON, and the
-- figures a list shows.
CREATE TABLE staffing_plans (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  forecast_id TEXT NOT NULL DEFAULT '',
  forecast_version INTEGER NOT NULL DEFAULT 0,
  queue_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  interval_seconds INTEGER NOT NULL,
  start_at INTEGER NOT NULL,
  volume REAL NOT NULL,
  scheduled_hours REAL NOT NULL,
  service_level REAL NOT NULL,
  abandon REAL NOT NULL,
  shift_heads INTEGER NOT NULL DEFAULT 0,
  gap_percent REAL NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX staffing_plans_tenant ON staffing_plans(tenant_id, created_at);

-- Existing tenants' administrators and supervisors plan staff too.
UPDATE roles SET permissions = replace(permissions, '"audit.read"', '"audit.read","staffing.read","staffing.write"')
  WHERE name IN ('admin', 'supervisor') AND permissions NOT LIKE '%staffing.%';
