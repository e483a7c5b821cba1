import { CommanderError } from 'commander';
import { NoDatabaseError } from '../store/store.js';
import { PROBLEMS, ServiceError } from '../services/kernel/errors.js';

/** Invalid input on the command line: a bad option value, a missing argument. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The relay answered a client command with an error status. */
export class RelayError extends Error {
  override name = 'RelayError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The README's promise: 0 done, 1 failed, 2 invalid input (ours, or the relay's 400 and 422). */
export function exitCodeFor(err: unknown): 0 | 1 | 2 {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof UsageError || err instanceof NoDatabaseError) return 2;
  const refusedInput = (status: number): boolean => status === 400 || status === 422;
  if (err instanceof RelayError) return refusedInput(err.status) ? 2 : 1;
  if (err instanceof ServiceError) return refusedInput(PROBLEMS[err.problem].status) ? 2 : 1;
  return 1;
}
