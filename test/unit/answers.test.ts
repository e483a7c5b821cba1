import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Answers } from '../../src/sessions/answers.js';
import { ManualClock } from '../helpers/clock.js';

describe('the request/answer correlator', () => {
  it('hands an answer to the request that waits for it, once, and only from the device it went to', async () => {
    const answers = new Answers(new ManualClock());
    const waiting = answers.expect('dev-a', 'r1', 'push', 5000, { error: { condition: 'recipient-unavailable' } });
    assert.equal(answers.kindOf('r1'), 'push');
    assert.equal(answers.settle('dev-b', 'r1', 'push', { objects: [] }), false, 'another device');
    assert.equal(answers.settle('dev-a', 'r1', 'cancel', 'canceled'), false, 'another kind of answer');
    assert.ok(answers.settle('dev-a', 'r1', 'push', { objects: [] }));
    assert.deepEqual(await waiting, { objects: [] });
    assert.equal(answers.settle('dev-a', 'r1', 'push', { objects: [] }), false, 'answered once');
    assert.equal(answers.kindOf('r1'), undefined);
  });

  it('gives null when no answer came within the bound, and forgets the request', async () => {
    const clock = new ManualClock();
    const answers = new Answers(clock);
    const waiting = answers.expect('dev-a', 'x1', 'cancel', 10_000, 'no-answer');
    clock.advance(9999);
    assert.equal(answers.size, 1);
    clock.advance(1);
    assert.equal(await waiting, null);
    assert.equal(answers.size, 0);
    assert.equal(answers.settle('dev-a', 'x1', 'cancel', 'canceled'), false, 'too late');
  });

  it('counts what waits, relay-wide and per device', () => {
    const answers = new Answers(new ManualClock());
    void answers.expect('dev-a', 'r1', 'push', 5000, { error: { condition: 'recipient-unavailable' } });
    void answers.expect('dev-a', 'x1', 'cancel', 5000, 'no-answer');
    void answers.expect('dev-b', 'r2', 'push', 5000, { error: { condition: 'recipient-unavailable' } });
    assert.deepEqual([answers.size, answers.load('dev-a'), answers.load('dev-b'), answers.load('dev-c')], [3, 2, 1, 0]);
    answers.settle('dev-a', 'x1', 'cancel', 'not-printing');
    assert.deepEqual([answers.size, answers.load('dev-a')], [2, 1]);
  });

  it('ends everything still waiting as undelivered when the relay stops, not at the timeout', async () => {
    const answers = new Answers(new ManualClock());
    const push = answers.expect('dev-a', 'r1', 'push', 60_000, { error: { condition: 'recipient-unavailable' } });
    const cancel = answers.expect('dev-b', 'x1', 'cancel', 60_000, 'no-answer');
    answers.closeAll();
    assert.deepEqual(await push, { error: { condition: 'recipient-unavailable' } });
    assert.equal(await cancel, 'no-answer');
    assert.equal(answers.size, 0);
  });
});
