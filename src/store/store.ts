/**
 * The Store port: one interface per area (core, management, print, fax, outbox, blobs), each in its
 * own file beside this one. Every method is async so a networked adapter (PostgreSQL) can follow
 * the embedded SQLite one without changing a caller. Listings are paged with a bounded limit so
 * no single read holds the event loop for long.
 */
import type { BlobStore } from './blobs.js';
import type { AccountStore, AuditStore, DeviceStore, PushQueueStore, RegistrationStore, SettingsStore, TokenStore, UserStore, WebSessionStore } from './core.js';
import type { FaxUserStore } from './fax.js';
import type { AlertStore, CodeStore, FirmwareStore, MeterStore, ReportStore, WebhookStore } from './management.js';
import type { OutboxStore } from './outbox.js';
import type { PrintStore } from './print.js';
import type { FleetStore, StatusStore } from './status.js';
import type { BulkStore } from './bulk.js';

export interface Store {
  settings: SettingsStore;
  accounts: AccountStore;
  users: UserStore;
  tokens: TokenStore;
  devices: DeviceStore;
  registrations: RegistrationStore;
  webSessions: WebSessionStore;
  audit: AuditStore;
  pushQueue: PushQueueStore;
  codes: CodeStore;
  reports: ReportStore;
  alerts: AlertStore;
  meter: MeterStore;
  webhooks: WebhookStore;
  firmware: FirmwareStore;
  print: PrintStore;
  faxUsers: FaxUserStore;
  outbox: OutboxStore;
  status: StatusStore;
  fleet: FleetStore;
  bulk: BulkStore;
  /** Job documents, mail-print attachments, firmware programs: bytes streamed in and out, not rows. */
  blobs: BlobStore;
  /** Online copy of the whole database to a file. */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** An administrative command named a store that holds no FleetRelay database (a mistyped --data-dir or --database-url). */
export class NoDatabaseError extends Error {
  constructor(where: string) {
    super(`no FleetRelay database in ${where}: give the relay's --data-dir (FLEETRELAY_DATA) or --database-url (FLEETRELAY_DATABASE_URL), or create one with "fleetrelay init" (or "fleetrelay migrate")`);
    this.name = 'NoDatabaseError';
  }
}

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `the database has schema version ${found}, but this FleetRelay knows only up to ${supported}; ` +
        'run a newer FleetRelay (or restore a backup made by this version)',
    );
    this.name = 'SchemaTooNewError';
  }
}
