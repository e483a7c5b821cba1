/**
 * Versioned schema. Each entry moves the database from version i to i+1 and is applied in
 * one transaction; the version lives in SQLite's user_version. Never edit a released entry:
 * add a new one.
 */
export const migrations: readonly string[] = [
  // 1: settings, accounts, people, API tokens, web sessions, devices, audit log
  `
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    admin INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    account_id TEXT REFERENCES accounts(id),
    admin INTEGER NOT NULL DEFAULT 0,
    label TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    last_used_at INTEGER
  );
  CREATE TABLE web_sessions (
    hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    serial TEXT NOT NULL,
    model TEXT NOT NULL,
    capabilities TEXT NOT NULL DEFAULT '{}',
    token_hash TEXT UNIQUE,
    online INTEGER NOT NULL DEFAULT 0,
    last_seen_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (model, serial)
  );
  CREATE INDEX devices_account ON devices(account_id, id);
  CREATE INDEX devices_serial ON devices(serial);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    account_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
  );
  CREATE INDEX audit_account ON audit_log(account_id, id);
  `,
  // 2: anonymous registration with a PIN (seed 003)
  `
  CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    poll_hash TEXT NOT NULL UNIQUE,
    claim_hash TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    serial TEXT NOT NULL,
    model TEXT NOT NULL,
    capabilities TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'delivered')),
    attempts INTEGER NOT NULL DEFAULT 0,
    device_id TEXT REFERENCES devices(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX registrations_expiry ON registrations(expires_at);
  `,
  // 3: push requests queued for offline devices, delivered exactly once at their next contact
  `
  CREATE TABLE push_queue (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('get', 'set')),
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'answered')),
    answer TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    delivered_at INTEGER,
    answered_at INTEGER
  );
  CREATE INDEX push_queue_device ON push_queue(device_id, state, created_at);
  CREATE INDEX push_queue_expiry ON push_queue(expires_at);
  `,
  // 4: seed 004's registration number table, as device registry fields
  `
  ALTER TABLE devices ADD COLUMN registration_number TEXT;
  ALTER TABLE devices ADD COLUMN installation_place TEXT;
  ALTER TABLE devices ADD COLUMN installer TEXT;
  ALTER TABLE devices ADD COLUMN contact TEXT;
  ALTER TABLE devices ADD COLUMN contact_email TEXT;
  ALTER TABLE devices ADD COLUMN legacy_auth INTEGER NOT NULL DEFAULT 0;
  CREATE UNIQUE INDEX devices_registration_number ON devices(registration_number) WHERE registration_number IS NOT NULL;
  `,
  // 5: seed 004 reports, their code tables, and the alerts they open
  `
  CREATE TABLE codes (
    namespace TEXT NOT NULL,
    code TEXT NOT NULL,
    kind TEXT,
    description TEXT NOT NULL,
    reply TEXT NOT NULL,
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
    reception INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    type TEXT NOT NULL,
    namespace TEXT,
    code TEXT,
    text TEXT,
    quantity INTEGER,
    total INTEGER,
    mono INTEGER,
    colour INTEGER,
    via TEXT NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX reports_device ON reports(device_id, type, reception);
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    code TEXT,
    description TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    count INTEGER NOT NULL DEFAULT 1,
    first_reception INTEGER NOT NULL,
    last_reception INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at INTEGER,
    resolved_by TEXT
  );
  CREATE UNIQUE INDEX alerts_active ON alerts(device_id, key) WHERE state != 'resolved';
  CREATE INDEX alerts_account ON alerts(account_id, state, id);
  `,
  // 6: meter offsets for counter resets (board swaps)
  `
  CREATE TABLE meter_offsets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    total INTEGER NOT NULL,
    mono INTEGER NOT NULL,
    colour INTEGER NOT NULL,
    created_by TEXT NOT NULL
  );
  CREATE INDEX meter_offsets_device ON meter_offsets(device_id, at);
  CREATE INDEX reports_counters ON reports(device_id, received_at) WHERE type = 'counters';
  `,
  // 7: webhooks for alerts and orders
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 8: firmware programs per model, staged rollouts, update history (seed 004's update check)
  `
  ALTER TABLE devices ADD COLUMN firmware_version TEXT;
  CREATE TABLE firmware (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    rollout_percent INTEGER NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
    uploaded_at INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    UNIQUE (model, version)
  );
  CREATE TABLE firmware_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    firmware_id TEXT NOT NULL REFERENCES firmware(id),
    version TEXT NOT NULL,
    reception INTEGER NOT NULL,
    sent_at INTEGER NOT NULL
  );
  CREATE INDEX firmware_history_device ON firmware_history(device_id, id);
  `,
  // 9: cloud print (seeds 002, 003): printers' accepting-jobs and status, jobs and their history
  `
  CREATE TABLE printers (
    device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    accepting INTEGER NOT NULL DEFAULT 0,
    status TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    state TEXT NOT NULL,
    name TEXT NOT NULL,
    document_type TEXT NOT NULL,
    document_size INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL,
    document_deleted INTEGER NOT NULL DEFAULT 0,
    ticket TEXT NOT NULL,
    source TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX jobs_device ON jobs(device_id, state, created_at);
  CREATE INDEX jobs_account ON jobs(account_id, created_at);
  CREATE TABLE job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX job_events_job ON job_events(job_id, id);
  `,
  // 10: print by e-mail (seed 002): senders allowed per printer, print control pages
  `
  ALTER TABLE printers ADD COLUMN allowed_senders TEXT;
  CREATE TABLE print_pages (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    files TEXT NOT NULL,
    job_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX print_pages_device ON print_pages(device_id, created_at);
  `,
  // 11: fax relay users (seed 001 connection information holding unit: user ID, password, settings)
  `
  CREATE TABLE fax_users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    password_hash TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX fax_users_account ON fax_users(account_id, id);
  `,
  // 12: cancel by e-mail (seed 002 alternative embodiment): each print page's cancel address
  `
  ALTER TABLE print_pages ADD COLUMN cancel_hash TEXT;
  CREATE UNIQUE INDEX print_pages_cancel ON print_pages(cancel_hash);
  `,
  // 13: the sweep's jobs — unfinished ones, and completed ones whose document is kept a while
  `
  CREATE INDEX jobs_with_document ON jobs(updated_at) WHERE document_deleted = 0;
  `,
  // 14: the outbox — webhooks and mails waiting for (another) attempt survive a restart
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX outbox_due ON outbox(next_at);
  `,
  // 15: a registration refused because its (model, serial) is already a device ends there, and
  // its device is told so. SQLite cannot change a CHECK constraint: the table is rebuilt.
  `
  CREATE TABLE registrations_v15 (
    id TEXT PRIMARY KEY,
    poll_hash TEXT NOT NULL UNIQUE,
    claim_hash TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    serial TEXT NOT NULL,
    model TEXT NOT NULL,
    capabilities TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'delivered', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    device_id TEXT REFERENCES devices(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  INSERT INTO registrations_v15 SELECT id, poll_hash, claim_hash, pin_hash, serial, model, capabilities, state, attempts, device_id, created_at, expires_at FROM registrations;
  DROP TABLE registrations;
  ALTER TABLE registrations_v15 RENAME TO registrations;
  CREATE INDEX registrations_expiry ON registrations(expires_at);
  `,
  // 16: every rotated or revoked device token and every removed device, in order, whoever made
  // the change (the API or the CLI on the same database): the relay ends those devices' sessions.
  `
  CREATE TABLE device_revocations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX device_revocations_at ON device_revocations(at);
  CREATE TRIGGER device_token_changed AFTER UPDATE OF token_hash ON devices
    WHEN OLD.token_hash IS NOT NULL AND OLD.token_hash IS NOT NEW.token_hash
    BEGIN INSERT INTO device_revocations (device_id, at) VALUES (OLD.id, NEW.updated_at); END;
  CREATE TRIGGER device_removed AFTER DELETE ON devices
    BEGIN INSERT INTO device_revocations (device_id, at) VALUES (OLD.id, CAST(unixepoch('subsec') * 1000 AS INTEGER)); END;
  `,
  // 17: each device's last known status (JSON the relay writes and reads whole), supply levels and
  // counters over time, tags (on the device row as read with it, and one row each to filter by), bulk jobs
  `
  ALTER TABLE devices ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE device_tags (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (device_id, tag)
  );
  CREATE INDEX device_tags_tag ON device_tags(tag, device_id);
  -- The console counts and lists online and offline devices.
  CREATE INDEX devices_online ON devices(online, id);
  CREATE TABLE bulk_jobs (
    id TEXT PRIMARY KEY,
    account_id TEXT,
    params TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    node TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX bulk_jobs_account ON bulk_jobs(account_id, created_at);
  -- No foreign key to devices: a bulk remove keeps its results.
  CREATE TABLE bulk_results (
    bulk_id TEXT NOT NULL REFERENCES bulk_jobs(id) ON DELETE CASCADE,
    device_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ok', 'queued', 'failed')),
    detail TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (bulk_id, device_id)
  );
  CREATE INDEX bulk_results_state ON bulk_results(bulk_id, state, device_id);
  CREATE TABLE device_status (
    device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE status_history (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    object TEXT NOT NULL,
    at INTEGER NOT NULL,
    value REAL NOT NULL
  );
  CREATE INDEX status_history_device ON status_history(device_id, object, at);
  CREATE INDEX status_history_at ON status_history(at);
  `,
  // 18: the console's fleet history (devices online per account every quarter hour, jobs and pages a
  // day), each device's lowest supply level beside its status (to find and filter low supplies),
  // the device list's orders, an account's status poll interval and supply-low mark, and a
  // firmware version assigned to a device
  `
  ALTER TABLE accounts ADD COLUMN status_poll_seconds INTEGER;
  ALTER TABLE accounts ADD COLUMN supply_low_percent INTEGER NOT NULL DEFAULT 10;
  ALTER TABLE devices ADD COLUMN firmware_target TEXT;
  ALTER TABLE device_status ADD COLUMN lowest_supply REAL;
  -- lowest_supply at or below the account's mark, kept on save and when the mark changes: the filter reads an index.
  ALTER TABLE device_status ADD COLUMN supply_low INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX device_status_lowest ON device_status(lowest_supply) WHERE lowest_supply IS NOT NULL;
  CREATE INDEX device_status_low ON device_status(device_id) WHERE supply_low = 1;
  CREATE TABLE fleet_samples (
    account_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    devices INTEGER NOT NULL,
    online INTEGER NOT NULL,
    PRIMARY KEY (account_id, at)
  );
  CREATE INDEX fleet_samples_at ON fleet_samples(at);
  CREATE TABLE fleet_days (
    account_id TEXT NOT NULL,
    day TEXT NOT NULL,
    jobs INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
  );
  CREATE INDEX fleet_days_day ON fleet_days(day);
  CREATE INDEX devices_serial_id ON devices(serial, id);
  CREATE INDEX devices_seen ON devices(COALESCE(last_seen_at, 0), id);
  CREATE INDEX devices_firmware ON devices(model, firmware_version);
  -- IPP names a job by a number (job-id), never reused: AUTOINCREMENT keeps its high mark. A
  -- number whose job is still being made (IPP Create-Job, before its document) has no job yet:
  -- what it will be is in open_jobs.
  CREATE TABLE job_numbers (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT UNIQUE REFERENCES jobs(id) ON DELETE CASCADE
  );
  INSERT INTO job_numbers (job_id) SELECT id FROM jobs ORDER BY created_at, id;
  CREATE TABLE open_jobs (
    number INTEGER PRIMARY KEY REFERENCES job_numbers(number) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    ticket TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX open_jobs_device ON open_jobs(device_id, number);
  CREATE INDEX open_jobs_created ON open_jobs(created_at);
  `,
  // 19: an output device's job events (IPP INFRA) are read among its jobs touched since its last poll
  `
  CREATE INDEX jobs_device_updated ON jobs(device_id, updated_at);
  `,
];

export const SCHEMA_VERSION = migrations.length;
