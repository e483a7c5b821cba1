/**
 * Bulk actions on a set of devices (issue 15): one job, a result per device, progress, retry of
 * what failed. Pure.
 */
import type { TypedValue } from './push.js';

export const BULK_ACTIONS = ['set', 'tags', 'firmware', 'remove'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export type BulkParams =
  | { action: 'set'; objects: TypedValue[]; /** Queue the SET this long for devices that are offline. */ queueOfflineSeconds: number | null }
  | { action: 'tags'; add: string[]; remove: string[] }
  /** Assign a version of each device's model's programs (null: take the assignment back). */
  | { action: 'firmware'; version: string | null }
  | { action: 'remove' };

/** pending: not done yet; ok: done; queued: the device is offline and gets it at its next contact; failed: see detail. */
export const BULK_RESULT_STATES = ['pending', 'ok', 'queued', 'failed'] as const;
export type BulkResultState = (typeof BULK_RESULT_STATES)[number];

export interface BulkJob {
  id: string;
  /** The account it was run for; null when a site admin ran it across accounts. */
  accountId: string | null;
  params: BulkParams;
  state: 'running' | 'done';
  /** The relay node running it. */
  node: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type BulkCounts = Record<BulkResultState, number>;

export interface BulkResult {
  deviceId: string;
  state: BulkResultState;
  detail: string | null;
  updatedAt: number;
}

/** Most devices one job may take. */
export const MAX_BULK_DEVICES = 100_000;

/** A device's tags after a bulk tag change. */
export function retag(tags: string[], add: string[], remove: string[]): string[] {
  return [...new Set([...tags.filter((t) => !remove.includes(t)), ...add])].sort();
}
