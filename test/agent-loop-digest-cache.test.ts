import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grantClaim } from '../src/coord/claims/store.js';
import { DIGEST_CONTRIBUTORS } from '../src/coord/digest/contributors.js';
import { buildDigest, type DigestOptions } from '../src/coord/digest/index.js';
import { STAMP_TRUST_MS } from '../src/coord/digest/stamp.js';
import { registerAgent } from '../src/coord/agents.js';
import { sendMessage, writeCursor } from '../src/coord/messages/store.js';
import { addTasks } from '../src/coord/plan/store.js';
import { Room } from '../src/room.js';
import { homeWithRoom } from './helpers.js';

/**
 * The digest cache (src/coord/digest/cache.ts): a full digest takes a part from the last digest
 * while the stamp of the sources it reads stands, and makes it again from the files once any of them
 * was written, the handle's inbox cursor moved, or the part is older than the stamp's trust.
 * Each test plants a marker in a cached part: seeing the marker proves the part came from the
 * cache, not seeing it proves it was made again.
 */

const cacheFile = (home: string) => join(home, 'cache', 'digest', 'team', 'ana.json');

function plant(home: string, part: string, change: (value: Record<string, unknown>) => void): void {
  const cache = JSON.parse(readFileSync(cacheFile(home), 'utf8'));
  change(cache.parts[part].value);
  writeFileSync(cacheFile(home), JSON.stringify(cache));
}

async function setup() {
  const home = homeWithRoom();
  const room = await Room.open(home, 'team');
  const digest = (options: DigestOptions = {}) => buildDigest(room, 'ana', { contributors: DIGEST_CONTRIBUTORS, ...options });
  const marked = (part: string) => plant(home, part, (v) => (part === 'mentions' ? ((v.items as { text: string }[])[0].text = 'MARKER') : (v.plan_title = 'MARKER')));
  await addTasks(room, 'bob', [{ text: 'Write the parser', owner: 'ana' }]);
  await sendMessage(room, { from: 'bob', text: '@ana please review' });
  return { home, room, digest, marked };
}

describe('the digest cache', () => {
  it('gives the same digest from the cache as from the files, and takes unchanged parts from it', async () => {
    const { digest, marked } = await setup();
    const first = await digest();
    expect(first.text).toContain('please review');
    expect(first.text).toContain('Write the parser');
    const again = await digest();
    expect(again.data).toEqual({ ...first.data, as_of: again.data.as_of });
    marked('plan');
    marked('mentions');
    const cached = await digest();
    expect(cached.data.plan_title).toBe('MARKER');
    expect(cached.data.mentions.items[0].text).toBe('MARKER');
  });

  it('makes a part again once a source it reads is written: a message, a plan change, an agent card', async () => {
    const { room, digest, marked } = await setup();
    await digest();
    marked('mentions');
    marked('plan');
    await sendMessage(room, { from: 'cy', text: '@ana one more' });
    const afterMessage = await digest();
    expect(afterMessage.data.mentions.items.map((m) => m.text)).toEqual(['@ana one more', '@ana please review']);
    expect(afterMessage.data.plan_title).toBe('MARKER'); // the plan was not written
    await addTasks(room, 'bob', [{ text: 'Fix CI' }]);
    const afterPlan = await digest();
    expect(afterPlan.data.plan_title).not.toBe('MARKER');
    expect(afterPlan.data.ready.map((l) => l.text).join()).toContain('Fix CI');
    marked('plan');
    await registerAgent(room, 'bob', {});
    expect((await digest()).data.plan_title).not.toBe('MARKER'); // a card decides whether its owner's tasks stalled
  });

  it('makes the messages part again once the inbox cursor moved', async () => {
    const { room, digest, marked } = await setup();
    const first = await digest();
    marked('mentions');
    await writeCursor(room, 'ana', first.data.mentions.items[0].id);
    const after = await digest();
    expect(after.data.mentions).toEqual({ unread: 0, items: [], scan_limited: false });
  });

  it('trusts a part no longer than the stamp is trusted, and the cursor it records says so', async () => {
    const { home, digest, marked } = await setup();
    const made = new Date();
    await digest({ now: made });
    marked('plan');
    const soon = new Date(made.getTime() + 60_000);
    expect((await digest({ now: soon })).data.plan_title).toBe('MARKER');
    const cursor = JSON.parse(readFileSync(join(home, 'cursors', 'team', 'ana.digest.json'), 'utf8'));
    expect(cursor.changes_at).toBe(new Date(made.getTime() + STAMP_TRUST_MS).toISOString());
    const late = new Date(made.getTime() + STAMP_TRUST_MS + 1000);
    expect((await digest({ now: late })).data.plan_title).not.toBe('MARKER');
  });

  it('never caches claims: their time left follows the clock', async () => {
    const { room, digest } = await setup();
    await grantClaim(room, { holder: 'ana', paths: ['src/api'], ttl: '1h' });
    const now = new Date();
    expect((await digest({ now })).data.claims[0].text).toMatch(/: 60 min left$/);
    expect((await digest({ now: new Date(now.getTime() + 20 * 60_000) })).data.claims[0].text).toMatch(/: 40 min left$/);
  });

  it('is only a cache: a damaged file is made again', async () => {
    const { home, digest } = await setup();
    await digest();
    writeFileSync(cacheFile(home), '{ not json');
    expect((await digest()).text).toContain('please review');
    expect(JSON.parse(readFileSync(cacheFile(home), 'utf8')).version).toBe(1);
  });
});
