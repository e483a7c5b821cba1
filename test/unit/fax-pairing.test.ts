import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countControl, pickCallee, type LineState, type LineView } from '../../src/domain/fax.js';

const line = (userId: string, state: LineState, accountId = 'a'): LineView => ({ userId, state, accountId });

/**
 * Seed 001 FIG. 2, processes (6)–(7) and the error rules of [0029]–[0031]: who may call whom,
 * and on which line the callee is notified. One row per rule.
 */
const DEMANDS: { row: string; caller: LineView; to: string; callee: LineView[]; expect: string }[] = [
  { row: '(6)→(7) logged-in destination with a vacant line is notified on it', caller: line('alice', 'vacant'), to: 'bob', callee: [line('bob', 'vacant')], expect: 'bob#0' },
  { row: '(7) the notice goes to a vacant line, not a paired one', caller: line('alice', 'vacant'), to: 'bob', callee: [line('bob', 'paired'), line('bob', 'vacant')], expect: 'bob#1' },
  { row: '[0029] destination not logged in: error', caller: line('alice', 'vacant'), to: 'bob', callee: [], expect: 'not-logged-in' },
  { row: '[0031] destination logged in with no vacant line (all paired, dialling or notified): busy', caller: line('alice', 'vacant'), to: 'bob', callee: [line('bob', 'paired'), line('bob', 'dialling'), line('bob', 'notified')], expect: 'busy' },
  { row: '[0030] a line already in a call cannot demand another', caller: line('alice', 'paired'), to: 'bob', callee: [line('bob', 'vacant')], expect: 'busy' },
  { row: 'a line that is dialling cannot demand another', caller: line('alice', 'dialling'), to: 'bob', callee: [line('bob', 'vacant')], expect: 'busy' },
  { row: 'a fax user cannot call itself', caller: line('alice', 'vacant'), to: 'alice', callee: [line('alice', 'vacant')], expect: 'self' },
  { row: 'another account\'s user is as good as not logged in', caller: line('alice', 'vacant'), to: 'bob', callee: [line('bob', 'vacant', 'b')], expect: 'not-logged-in' },
];

describe('fax call pairing rules (seed 001 FIG. 2)', () => {
  for (const d of DEMANDS)
    it(d.row, () => {
      const r = pickCallee(d.caller, d.to, d.callee);
      assert.equal(r.ok ? `${r.callee.userId}#${d.callee.indexOf(r.callee)}` : r.reason, d.expect);
      if (!r.ok) assert.ok(r.message.length > 0, 'a refusal says why');
    });
});

describe('control-frame flood rule', () => {
  it('takes up to the limit per 10 s, refuses past it, closes past twice it, and starts again in a new window', () => {
    const w = { start: 0, count: 0 };
    const verdicts = Array.from({ length: 7 }, () => countControl(w, 1000, 3));
    assert.deepEqual(verdicts, ['take', 'take', 'take', 'refuse', 'refuse', 'refuse', 'close']);
    assert.equal(countControl(w, 11_000, 3), 'take', 'a new window');
  });
});
