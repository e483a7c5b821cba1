import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { capacity } from '../../src/config.js';
import { workersWanted } from '../../src/cli/workers.js';

describe('serve --workers', () => {
  const cluster = { natsUrl: 'nats://127.0.0.1:4222', port: 8080, smtpPort: 2525, faxPort: 4590 };

  it('auto: enough processes to hold --max-sessions at what one process may open, one per core without it', () => {
    const perProcess = capacity(20_000).maxSessions;
    assert.equal(workersWanted('auto', cluster, String(perProcess), () => 20_000), 1);
    assert.equal(workersWanted('auto', cluster, String(perProcess + 1), () => 20_000), 2);
    assert.equal(workersWanted('auto', cluster, '100000', () => 20_000), Math.ceil(100_000 / perProcess));
    assert.equal(workersWanted('auto', cluster, '100000', () => 1024), 64, 'at most 64');
    assert.equal(workersWanted('auto', cluster, undefined, () => 20_000), Math.min(64, availableParallelism()));
  });

  it('a number as given; more than one needs NATS and fixed ports', () => {
    assert.equal(workersWanted(undefined, cluster, undefined), 1);
    assert.equal(workersWanted('6', cluster, undefined), 6);
    assert.throws(() => workersWanted('2', { ...cluster, natsUrl: undefined }, undefined), /needs --nats-url/);
    assert.throws(() => workersWanted('2', { ...cluster, faxPort: 0 }, undefined), /needs fixed ports/);
    assert.equal(workersWanted('auto', { ...cluster, natsUrl: undefined }, '100', () => 20_000), 1, 'one process needs no NATS');
    assert.throws(() => workersWanted('zero', cluster, undefined), /--workers/);
  });
});
