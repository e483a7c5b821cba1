/** Accounts, the people who sign in, their API tokens and web sessions, and the audit trail. */
export interface Account {
  id: string;
  name: string;
  createdAt: number;
  /** How often the relay polls the account's devices for their status; null: the relay's --status-poll, 0: never. */
  statusPollSeconds: number | null;
  /** A supply at or below this percent is low (an alert, the "supply low" filter). */
  supplyLowPercent: number;
}

export const MIN_STATUS_POLL_SECONDS = 60;
export const MAX_STATUS_POLL_SECONDS = 7 * 86400;

export interface User {
  id: string;
  name: string;
  accountId: string;
  admin: boolean;
  passwordHash: string;
  createdAt: number;
}

export interface ApiToken {
  id: string;
  accountId: string | null;
  admin: boolean;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface WebSession {
  userId: string;
  csrf: string;
  expiresAt: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  accountId: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}
