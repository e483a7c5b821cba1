/**
 * Versioned PostgreSQL schema. Each entry moves the schema from version i to i+1 and is applied
 * in one transaction under an advisory lock (open.ts); the version lives in fleetrelay_schema.
 * Version 1 is the whole schema of SQLite version 16 at once; from here on a change to the
 * schema adds an entry to both lists. Never edit a released entry: add a new one.
 *
 * Times are timestamptz (the adapter reads them as epoch milliseconds); JSON the relay never
 * queries inside is kept as the text it wrote, so both stores return the same bytes. Text the
 * relay sorts or pages by (ids, names, models, codes) is COLLATE "C": byte order, as SQLite's,
 * whatever the database's default collation.
 */
export const migrations: readonly string[] = [
  // 1: everything SQLite's migrations 1–16 made
  `
  CREATE TABLE settings (
    key text PRIMARY KEY,
    value text NOT NULL
  );
  CREATE TABLE accounts (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE TABLE users (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    account_id text COLLATE "C" NOT NULL REFERENCES accounts(id),
    admin boolean NOT NULL DEFAULT false,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE TABLE api_tokens (
    id text COLLATE "C" PRIMARY KEY,
    hash text NOT NULL UNIQUE,
    account_id text COLLATE "C" REFERENCES accounts(id),
    admin boolean NOT NULL DEFAULT false,
    label text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz
  );
  CREATE TABLE web_sessions (
    hash text PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);
  CREATE TABLE devices (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES accounts(id),
    serial text COLLATE "C" NOT NULL,
    model text COLLATE "C" NOT NULL,
    capabilities text NOT NULL DEFAULT '{}',
    token_hash text UNIQUE,
    online boolean NOT NULL DEFAULT false,
    last_seen_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    registration_number text UNIQUE,
    installation_place text,
    installer text,
    contact text,
    contact_email text,
    legacy_auth boolean NOT NULL DEFAULT false,
    firmware_version text,
    UNIQUE (model, serial)
  );
  CREATE INDEX devices_account ON devices(account_id, id);
  CREATE INDEX devices_serial ON devices(serial);
  CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    account_id text COLLATE "C",
    action text NOT NULL,
    target text,
    detail text
  );
  CREATE INDEX audit_account ON audit_log(account_id, id);

  CREATE TABLE registrations (
    id text COLLATE "C" PRIMARY KEY,
    poll_hash text NOT NULL UNIQUE,
    claim_hash text NOT NULL UNIQUE,
    pin_hash text NOT NULL,
    serial text COLLATE "C" NOT NULL,
    model text COLLATE "C" NOT NULL,
    capabilities text NOT NULL DEFAULT '{}',
    state text NOT NULL CHECK (state IN ('pending', 'claimed', 'delivered', 'refused')),
    attempts integer NOT NULL DEFAULT 0,
    device_id text COLLATE "C" REFERENCES devices(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX registrations_expiry ON registrations(expires_at);

  CREATE TABLE push_queue (
    id text COLLATE "C" PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id text COLLATE "C" NOT NULL,
    op text NOT NULL CHECK (op IN ('get', 'set')),
    payload text NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'delivered', 'answered')),
    answer text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    delivered_at timestamptz,
    answered_at timestamptz
  );
  CREATE INDEX push_queue_device ON push_queue(device_id, state, created_at);
  CREATE INDEX push_queue_expiry ON push_queue(expires_at);

  CREATE TABLE codes (
    namespace text COLLATE "C" NOT NULL,
    code text COLLATE "C" NOT NULL,
    kind text,
    description text NOT NULL,
    reply text NOT NULL,
    PRIMARY KEY (namespace, code)
  );
  INSERT INTO codes (namespace, code, kind, description, reply) VALUES
    ('error', '341', 'consumable-low', 'remaining amount of toner is low', 'toner end'),
    ('error', '531', 'part-replacement', 'toner bottle should be replaced', 'toner bottle should be replaced'),
    ('error', '784', 'abnormal', 'abnormal condition occurred in the fixing drum', 'abnormal condition in fixing drum'),
    ('order', 'Type2', NULL, 'toner bottle', 'toner'),
    ('mib-alert', '8', 'abnormal', 'paper jam', 'jam'),
    ('mib-alert', '1101', 'consumable-low', 'toner empty', 'toner empty'),
    ('mib-alert', '1104', 'consumable-low', 'toner almost empty', 'toner low');
  CREATE TABLE reports (
    reception bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id text COLLATE "C" NOT NULL,
    type text NOT NULL,
    namespace text COLLATE "C",
    code text COLLATE "C",
    text text,
    quantity bigint,
    total bigint,
    mono bigint,
    colour bigint,
    via text NOT NULL,
    received_at timestamptz NOT NULL
  );
  CREATE INDEX reports_device ON reports(device_id, type, reception);
  CREATE INDEX reports_counters ON reports(device_id, received_at) WHERE type = 'counters';
  CREATE INDEX reports_account ON reports(account_id, reception);
  CREATE TABLE alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id text COLLATE "C" NOT NULL,
    key text NOT NULL,
    type text NOT NULL,
    code text COLLATE "C",
    description text NOT NULL,
    state text NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    count integer NOT NULL DEFAULT 1,
    first_reception bigint NOT NULL,
    last_reception bigint NOT NULL,
    opened_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by text,
    resolved_at timestamptz,
    resolved_by text
  );
  CREATE UNIQUE INDEX alerts_active ON alerts(device_id, key) WHERE state <> 'resolved';
  CREATE INDEX alerts_account ON alerts(account_id, state, id);
  CREATE TABLE meter_offsets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    total bigint NOT NULL,
    mono bigint NOT NULL,
    colour bigint NOT NULL,
    created_by text NOT NULL
  );
  CREATE INDEX meter_offsets_device ON meter_offsets(device_id, at);
  CREATE TABLE webhooks (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" REFERENCES accounts(id),
    url text NOT NULL,
    events text NOT NULL,
    secret text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE TABLE firmware (
    id text COLLATE "C" PRIMARY KEY,
    model text COLLATE "C" NOT NULL,
    version text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    signature text NOT NULL,
    rollout_percent integer NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
    uploaded_at timestamptz NOT NULL,
    uploaded_by text NOT NULL,
    UNIQUE (model, version)
  );
  CREATE TABLE firmware_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    firmware_id text COLLATE "C" NOT NULL REFERENCES firmware(id),
    version text NOT NULL,
    reception bigint NOT NULL,
    sent_at timestamptz NOT NULL
  );
  CREATE INDEX firmware_history_device ON firmware_history(device_id, id);

  CREATE TABLE printers (
    device_id text COLLATE "C" PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    accepting boolean NOT NULL DEFAULT false,
    status text,
    updated_at timestamptz NOT NULL,
    allowed_senders text
  );
  CREATE TABLE jobs (
    id text COLLATE "C" PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    name text COLLATE "C" NOT NULL,
    document_type text NOT NULL,
    document_size bigint NOT NULL,
    document_sha256 text NOT NULL,
    document_deleted boolean NOT NULL DEFAULT false,
    ticket text NOT NULL,
    source text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE INDEX jobs_device ON jobs(device_id, state, created_at);
  CREATE INDEX jobs_account ON jobs(account_id, created_at);
  CREATE INDEX jobs_with_document ON jobs(updated_at) WHERE NOT document_deleted;
  CREATE TABLE job_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    state text NOT NULL,
    detail text
  );
  CREATE INDEX job_events_job ON job_events(job_id, id);
  CREATE TABLE print_pages (
    id text COLLATE "C" PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id text COLLATE "C" NOT NULL,
    sender text NOT NULL,
    subject text NOT NULL,
    files text NOT NULL,
    job_id text COLLATE "C",
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    cancel_hash text UNIQUE
  );
  CREATE INDEX print_pages_device ON print_pages(device_id, created_at);

  CREATE TABLE fax_users (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES accounts(id),
    password_hash text NOT NULL,
    settings text NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE INDEX fax_users_account ON fax_users(account_id, id);

  CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    message text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_at timestamptz NOT NULL,
    last_error text,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX outbox_due ON outbox(next_at);

  CREATE TABLE device_revocations (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL
  );
  CREATE INDEX device_revocations_at ON device_revocations(at);
  -- Relays follow the log by seq. Writers take turns until they commit (the lock conflicts with
  -- itself, not with readers), so seq order is commit order and no reader can pass an entry that
  -- commits later with a lower seq. Token changes and removals are rare; the wait is short.
  CREATE FUNCTION log_device_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    LOCK TABLE device_revocations IN SHARE ROW EXCLUSIVE MODE;
    IF TG_OP = 'DELETE' THEN
      INSERT INTO device_revocations (device_id, at) VALUES (OLD.id, now());
    ELSIF OLD.token_hash IS NOT NULL AND OLD.token_hash IS DISTINCT FROM NEW.token_hash THEN
      INSERT INTO device_revocations (device_id, at) VALUES (OLD.id, NEW.updated_at);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER device_token_changed AFTER UPDATE OF token_hash ON devices
    FOR EACH ROW EXECUTE FUNCTION log_device_revocation();
  CREATE TRIGGER device_removed AFTER DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION log_device_revocation();

  CREATE TABLE blobs (
    area text NOT NULL,
    key text NOT NULL,
    oid oid NOT NULL,
    size bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, key)
  );
  `,
  // 2 (SQLite 17): each device's last known status, supply levels and counters over time, tags, bulk jobs
  `
  ALTER TABLE devices ADD COLUMN tags text NOT NULL DEFAULT '[]';
  CREATE TABLE device_tags (
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    tag text COLLATE "C" NOT NULL,
    PRIMARY KEY (device_id, tag)
  );
  CREATE INDEX device_tags_tag ON device_tags(tag, device_id);
  -- The console counts and lists online and offline devices.
  CREATE INDEX devices_online ON devices(online, id);
  CREATE TABLE bulk_jobs (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C",
    params text NOT NULL,
    state text NOT NULL CHECK (state IN ('running', 'done')),
    node text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE INDEX bulk_jobs_account ON bulk_jobs(account_id, created_at);
  CREATE TABLE bulk_results (
    bulk_id text COLLATE "C" NOT NULL REFERENCES bulk_jobs(id) ON DELETE CASCADE,
    device_id text COLLATE "C" NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'ok', 'queued', 'failed')),
    detail text,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (bulk_id, device_id)
  );
  CREATE INDEX bulk_results_state ON bulk_results(bulk_id, state, device_id);
  CREATE TABLE device_status (
    device_id text COLLATE "C" PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    status text NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE TABLE status_history (
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    object text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL,
    value double precision NOT NULL
  );
  CREATE INDEX status_history_device ON status_history(device_id, object, at);
  CREATE INDEX status_history_at ON status_history(at);
  `,
  // 3 (SQLite 18): fleet history for the console, each device's lowest supply, the device list's
  // orders, an account's status poll interval and supply-low mark, a firmware version assigned to a device
  `
  ALTER TABLE accounts ADD COLUMN status_poll_seconds integer;
  ALTER TABLE accounts ADD COLUMN supply_low_percent integer NOT NULL DEFAULT 10;
  ALTER TABLE devices ADD COLUMN firmware_target text;
  ALTER TABLE device_status ADD COLUMN lowest_supply double precision;
  -- lowest_supply at or below the account's mark, kept on save and when the mark changes: the filter reads an index.
  ALTER TABLE device_status ADD COLUMN supply_low boolean NOT NULL DEFAULT false;
  CREATE INDEX device_status_lowest ON device_status(lowest_supply) WHERE lowest_supply IS NOT NULL;
  CREATE INDEX device_status_low ON device_status(device_id) WHERE supply_low;
  CREATE TABLE fleet_samples (
    account_id text COLLATE "C" NOT NULL,
    at timestamptz NOT NULL,
    devices integer NOT NULL,
    online integer NOT NULL,
    PRIMARY KEY (account_id, at)
  );
  CREATE INDEX fleet_samples_at ON fleet_samples(at);
  CREATE TABLE fleet_days (
    account_id text COLLATE "C" NOT NULL,
    day text COLLATE "C" NOT NULL,
    jobs integer NOT NULL DEFAULT 0,
    pages bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
  );
  CREATE INDEX fleet_days_day ON fleet_days(day);
  CREATE INDEX devices_serial_id ON devices(serial, id);
  CREATE INDEX devices_seen ON devices((COALESCE(last_seen_at, 'epoch'::timestamptz)), id);
  CREATE INDEX devices_firmware ON devices(model, firmware_version);
  -- IPP names a job by a number (job-id), never reused. A number whose job is still being made
  -- (IPP Create-Job, before its document) has no job yet: what it will be is in open_jobs.
  CREATE TABLE job_numbers (
    number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id text COLLATE "C" UNIQUE REFERENCES jobs(id) ON DELETE CASCADE
  );
  INSERT INTO job_numbers (job_id) SELECT id FROM jobs ORDER BY created_at, id;
  CREATE TABLE open_jobs (
    number bigint PRIMARY KEY REFERENCES job_numbers(number) ON DELETE CASCADE,
    device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id text COLLATE "C" NOT NULL,
    name text NOT NULL,
    ticket text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX open_jobs_device ON open_jobs(device_id, number);
  CREATE INDEX open_jobs_created ON open_jobs(created_at);
  `,
  // 4: an output device's job events (IPP INFRA) are read among its jobs touched since its last poll
  `
  CREATE INDEX jobs_device_updated ON jobs(device_id, updated_at);
  `,
];

export const SCHEMA_VERSION = migrations.length;
