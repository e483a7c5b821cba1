import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cancelResult, planCancel, type CancelAnswer, type CancelPlan, type JobState } from '../../src/domain/print.js';

/**
 * Seed 002 §3.3, the cancellation decision table (C0–C5), one case per (row, job state, printer
 * answer). Expected values are written from the seed text (/work/shared/spec/seed-002.md §3.3,
 * original /work/shared/seeds/002_*.txt), not read off the code.
 *
 * How the seed's moments map to FleetRelay job states:
 *   before S206 (job made, printer not yet told)  → pending
 *   after S206 (printer told over the session)    → notified
 *   printer got the job info / data (S302/S303)   → fetched
 *   printer printing                              → processing
 * and the seed's S304 replies to printer answers:
 *   success → 'canceled'; "not currently printing" → 'not-printing';
 *   "not responding" (cannot cancel once started) → 'cannot'; no reply within the wait → 'no-answer'.
 * "No XMPP connection" (C5) is printerOnline = false.
 */
interface Row {
  /** Seed row and what the case is, e.g. "C1: …". */
  name: string;
  state: JobState;
  printerOnline: boolean;
  plan: CancelPlan;
  /** For rows where the printer is asked (C1–C4): its S304 answer and what the job becomes. */
  answer?: CancelAnswer;
  result?: 'canceled' | 'cancel-failed';
}

const ASK: CancelPlan = { kind: 'ask-printer' };

const TABLE: Row[] = [
  // C0: cancel before S206 — "the creation of the print job is stopped or the print job is deleted
  // without notifying the printer 3". The printer is not contacted, whether or not it is connected.
  { name: 'C0: cancel before S206 (pending), printer connected → delete without contacting the printer', state: 'pending', printerOnline: true, plan: { kind: 'delete', row: 'C0' } },
  { name: 'C0: cancel before S206 (pending), printer not connected → delete without contacting the printer', state: 'pending', printerOnline: false, plan: { kind: 'delete', row: 'C0' } },

  // After S206 the seed sends the cancel to the printer (S207). FleetRelay narrows that: a job the
  // printer was told of but has not fetched holds no data at the printer yet, so it is deleted at
  // once as C0 and the printer's later fetch gets 410 (docs/cloud-print.md, C0 row). Asking starts
  // once the document was fetched.
  { name: 'C0 (relay rule): announced but not fetched (notified), printer connected → delete; its fetch gets 410', state: 'notified', printerOnline: true, plan: { kind: 'delete', row: 'C0' } },
  { name: 'C0 (relay rule): announced but not fetched (notified), printer not connected → delete', state: 'notified', printerOnline: false, plan: { kind: 'delete', row: 'C0' } },

  // C1: printer supports cancel and cancels (e.g. during download or printing) → S208 delete, S209 cancellation page.
  { name: 'C1: cancel during download (fetched), printer cancels successfully → canceled', state: 'fetched', printerOnline: true, plan: ASK, answer: 'canceled', result: 'canceled' },
  { name: 'C1: cancel during printing (processing), printer cancels successfully → canceled', state: 'processing', printerOnline: true, plan: ASK, answer: 'canceled', result: 'canceled' },

  // C2: "just after a request to execute printing and before starting the printing" → "not currently
  // printing"; the server "can consider that a cancellation of printing has succeeded".
  { name: 'C2: cancel after fetch, before printing starts, printer says "not currently printing" → canceled', state: 'fetched', printerOnline: true, plan: ASK, answer: 'not-printing', result: 'canceled' },

  // C3: cancel after printing is complete (the server has not yet heard of completion) → "not currently
  // printing"; default treatment as C2 (success).
  { name: 'C3: cancel after printing completed (server still sees processing), "not currently printing" → canceled (default treatment)', state: 'processing', printerOnline: true, plan: ASK, answer: 'not-printing', result: 'canceled' },

  // C4: printer cannot cancel after printing started → "not responding" error; the server considers the
  // cancellation failed and keeps the print data until completion.
  { name: 'C4: cancel during printing, printer cannot cancel ("not responding" error) → cancel-failed', state: 'processing', printerOnline: true, plan: ASK, answer: 'cannot', result: 'cancel-failed' },
  { name: 'C4: cancel during download, printer cannot cancel ("not responding" error) → cancel-failed', state: 'fetched', printerOnline: true, plan: ASK, answer: 'cannot', result: 'cancel-failed' },
  // Seed §5 lists the timeout for the S304 reply as a gap; no reply at all is read as "not responding".
  { name: 'C4: cancel during printing, printer gives no answer in time ("not responding") → cancel-failed', state: 'processing', printerOnline: true, plan: ASK, answer: 'no-answer', result: 'cancel-failed' },

  // C5: no XMPP connection between printer and server → "it is sufficient to delete a print job".
  { name: 'C5: cancel after fetch (fetched), no XMPP connection → delete', state: 'fetched', printerOnline: false, plan: { kind: 'delete', row: 'C5' } },
  { name: 'C5: cancel while printing (processing), no XMPP connection → delete', state: 'processing', printerOnline: false, plan: { kind: 'delete', row: 'C5' } },
];

/** Jobs already finished cannot be canceled (the "—" row: 409), whatever the printer's connection. */
const FINISHED_TABLE: { name: string; state: JobState; printerOnline: boolean }[] = [
  { name: 'finished: completed job, printer connected → finished', state: 'completed', printerOnline: true },
  { name: 'finished: completed job, printer not connected → finished', state: 'completed', printerOnline: false },
  { name: 'finished: canceled job, printer connected → finished', state: 'canceled', printerOnline: true },
  { name: 'finished: canceled job, printer not connected → finished', state: 'canceled', printerOnline: false },
  { name: 'finished: aborted job, printer connected → finished', state: 'aborted', printerOnline: true },
  { name: 'finished: aborted job, printer not connected → finished', state: 'aborted', printerOnline: false },
];

/** The S304 answers on their own: which mean the printing will not continue (delete) and which mean it will (keep). */
const ANSWER_TABLE: { name: string; answer: CancelAnswer; result: 'canceled' | 'cancel-failed' }[] = [
  { name: 'C1: success → canceled', answer: 'canceled', result: 'canceled' },
  { name: 'C2/C3: "not currently printing" → canceled', answer: 'not-printing', result: 'canceled' },
  { name: 'C4: "not responding" (cannot cancel) → cancel-failed', answer: 'cannot', result: 'cancel-failed' },
  { name: 'C4: no answer in time → cancel-failed', answer: 'no-answer', result: 'cancel-failed' },
];

describe('seed 002 §3.3 cancel decision table (C0–C5)', () => {
  for (const row of TABLE)
    it(row.name, () => {
      assert.deepEqual(planCancel(row.state, row.printerOnline), row.plan);
      if (row.answer !== undefined) assert.equal(cancelResult(row.answer), row.result);
    });
});

describe('seed 002 §3.3: a finished job is not canceled again', () => {
  for (const row of FINISHED_TABLE)
    it(row.name, () => {
      assert.deepEqual(planCancel(row.state, row.printerOnline), { kind: 'finished' });
    });
});

describe('seed 002 §3.3: the printer answer (S304) decides delete or keep', () => {
  for (const row of ANSWER_TABLE)
    it(row.name, () => {
      assert.equal(cancelResult(row.answer), row.result);
    });
});
