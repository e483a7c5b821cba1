import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DeviceCredentials } from '../sdk/registration.js';

/** What a device keeps across power cycles (seed 000 memory 24, seed 003 memory 34). */
export interface PersistedState {
  /** Session maintenance mode, checked at power-on (S211): ON means connect at power-on. */
  mode: 'on' | 'off';
  /** The access token (AT1, stored at T62) and the id it belongs to, once registered. */
  credentials?: DeviceCredentials;
}

export function loadState(file: string): PersistedState {
  if (!existsSync(file)) return { mode: 'off' };
  const s = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
  return { mode: s.mode === 'on' ? 'on' : 'off', ...(s.credentials ? { credentials: s.credentials } : {}) };
}

/** Written whole, then renamed: a power cut leaves the old state or the new, never half. */
export function saveState(file: string, state: PersistedState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
