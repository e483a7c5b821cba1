import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, startRelay, type RelayProcess } from './helpers/relay.js';

describe('/metrics token guesses are throttled like every other failed authentication', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay({ env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '5', FLEETRELAY_METRICS_TOKEN: 'the-metrics-token' } });
  });
  after(() => relay.stop());

  it('answers 429 with Retry-After past the limit, counts against the API too, and still lets a right token in', async () => {
    const admin = adminToken(relay.dataDir);
    for (let i = 0; i < 5; i++) assertProblem(await api(relay.url, '/metrics', { token: `guess-${i}` }), 401, 'unauthorized');
    const r = await api(relay.url, '/metrics', { token: 'guess-again' });
    assertProblem(r, 429, 'rate-limited');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    assertProblem(await api(relay.url, '/metrics'), 429, 'rate-limited');
    // One limiter per address: the guesses at /metrics also close the API to more guesses from there.
    assertProblem(await api(relay.url, '/api/v1/devices', { token: 'fra_wrong' }), 429, 'rate-limited');
    // The right secrets still work: the limiter only refuses failures.
    assert.equal((await api(relay.url, '/metrics', { token: 'the-metrics-token' })).status, 200);
    assert.equal((await api(relay.url, '/metrics', { token: admin })).status, 200);
  });
});
