import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOKEN_TOUCH_EVERY_MS } from '../../src/services/identity/auth.js';
import { serviceRig } from '../helpers/services.js';

describe("an API token's last-used time", () => {
  it('is written at the first use, then at most once a minute however busy the token is', async () => {
    const { clock, store, s } = await serviceRig();
    const { token, info } = await s.accounts.createToken({ kind: 'cli' }, { admin: true });
    const lastUsed = async () => (await store.tokens.get(info.id))!.lastUsedAt;
    assert.equal(await lastUsed(), null);

    const first = clock.now();
    assert.ok(await s.auth.apiToken(token));
    assert.equal(await lastUsed(), first);
    clock.advance(TOKEN_TOUCH_EVERY_MS - 1);
    await Promise.all(Array.from({ length: 20 }, () => s.auth.apiToken(token)));
    assert.equal(await lastUsed(), first, 'not rewritten within the minute');
    clock.advance(1);
    assert.ok(await s.auth.apiToken(token));
    assert.equal(await lastUsed(), first + TOKEN_TOUCH_EVERY_MS);
    await store.close();
  });
});
