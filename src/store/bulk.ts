import type { BulkCounts, BulkJob, BulkResult, BulkResultState } from '../domain/bulk.js';

/** The Store port, bulk jobs (issue 15): a job and one result row per device it takes. */
export interface BulkStore {
  insert(job: BulkJob, deviceIds: string[]): Promise<void>;
  get(id: string): Promise<BulkJob | null>;
  counts(id: string): Promise<BulkCounts>;
  list(f: { accountId?: string; limit: number }): Promise<BulkJob[]>;
  /** Results in device order; after `cursor` (a device id). */
  results(id: string, f: { state?: BulkResultState; cursor?: string; limit: number }): Promise<BulkResult[]>;
  /** Up to `limit` devices still pending. */
  pending(id: string, limit: number): Promise<string[]>;
  setResult(id: string, deviceId: string, state: BulkResultState, detail: string | null, at: number): Promise<void>;
  setState(id: string, state: BulkJob['state'], at: number): Promise<void>;
  /** Failed results go back to pending and the job runs again; how many. */
  retryFailed(id: string, at: number): Promise<number>;
  /** Jobs `node` left running when it stopped: their pending results fail, and they are done. */
  interruptRunning(node: string, at: number): Promise<number>;
  /** Jobs created before `t` go, with their results. */
  deleteBefore(t: number): Promise<number>;
}
