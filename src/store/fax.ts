import type { FaxUser, FaxUserSettings } from '../domain/fax.js';

/** The Store port, fax relay (seed 001): fax users. */
export interface FaxUserStore {
  insert(u: FaxUser): Promise<void>;
  get(id: string): Promise<FaxUser | null>;
  list(f: { accountId?: string; cursor?: string; limit: number }): Promise<FaxUser[]>;
  update(id: string, change: { passwordHash?: string; settings?: FaxUserSettings }, at: number): Promise<FaxUser | null>;
  delete(id: string): Promise<boolean>;
}
