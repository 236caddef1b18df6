import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, startServe, tempDir } from './helpers.js';
import { person } from './sync-people.js';

const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x', MYCELIUM_OFFLINE: '1' };

describe('a git sync conflict on a memory that is not UTF-8', () => {
  it('keeps both versions byte for byte: the remote one at the key, the local one in the sibling, on every copy', () => {
    const bare = join(tempDir(), 'remote.git');
    execFileSync('git', ['init', '--bare', '-q', bare]);
    const ana = homeWithRoom();
    const anaDir = join(ana, 'rooms', 'team');
    writeFileSync(join(anaDir, 'x.md'), Buffer.from('base \xe9t\xe9\n', 'latin1'));
    expect(cli(['room', 'remote', 'team', bare], { home: ana, env }).code).toBe(0);
    expect(cli(['sync'], { home: ana, env }).code).toBe(0);
    const bo = tempDir();
    expect(cli(['room', 'clone', bare, 'team'], { home: bo, env }).code).toBe(0);
    const boDir = join(bo, 'rooms', 'team');
    const anas = Buffer.from('ana \xe9\xff\n', 'latin1');
    const bos = Buffer.from('bo \xfe\xe8\n', 'latin1');
    writeFileSync(join(anaDir, 'x.md'), anas);
    writeFileSync(join(boDir, 'x.md'), bos);
    expect(cli(['sync'], { home: ana, env }).code).toBe(0);
    const conflict = cli(['sync', '--json'], { home: bo, env });
    expect(conflict.code, conflict.stderr).toBe(3);
    const sibling = JSON.parse(conflict.stdout).conflicts[0].conflict_key as string;
    expect(cli(['sync'], { home: ana, env }).code).toBe(0);
    for (const dir of [anaDir, boDir]) {
      expect(readFileSync(join(dir, 'x.md'))).toEqual(anas);
      expect(readFileSync(join(dir, `${sibling}.md`))).toEqual(bos);
      expect(readdirSync(dir).filter((name) => name.endsWith('.md')).sort()).toEqual([`${sibling}.md`, 'x.md'].sort());
    }
  }, 60_000);
});

/** Every file under a folder as its exact bytes. */
function bytesOf(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

/** Both folders hold the same files with the same bytes (Buffer.equals, never a decoded comparison). */
function expectSameBytes(a: string, b: string): void {
  const left = bytesOf(a);
  const right = bytesOf(b);
  expect([...left.keys()].sort()).toEqual([...right.keys()].sort());
  for (const [name, bytes] of left) expect(bytes.equals(right.get(name)!), `${name} differs`).toBe(true);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('HTTP sync of files that are not UTF-8, or carry a BOM and CRLF line ends', () => {
  const latin = Buffer.from('---\nnote: caf\xe9\n---\nna\xefve \xff\xfe bytes\n', 'latin1');
  const bom = Buffer.from('\ufeff---\r\nkind: memory\r\n---\r\nline one\r\nline two\r\n', 'utf8');
  const lone = Buffer.from([0x6c, 0x6f, 0x6e, 0x65, 0x20, 0xed, 0xa0, 0x80, 0x20, 0xc3, 0x0a]); // a surrogate and a cut sequence

  it('clone, pull, push and a conflict keep every byte; hashes and ETags are the sha256 of the bytes', async () => {
    const home = homeWithRoom('team');
    const serverDir = join(home, 'rooms', 'team');
    mkdirSync(join(serverDir, 'notes'));
    writeFileSync(join(serverDir, 'notes', 'latin.md'), latin);
    writeFileSync(join(serverDir, 'bom.md'), bom);
    writeFileSync(join(serverDir, 'lone.md'), lone);
    const served = await startServe(home, [], { MYCELIUM_OFFLINE: '1' });
    const roomUrl = `${served.url}/rooms/team`;
    const ana = person('ana', { MYCELIUM_OFFLINE: '1' });
    const bo = person('bo', { MYCELIUM_OFFLINE: '1' });

    // Clone: the same bytes as the server.
    for (const p of [ana, bo]) expect(p.run('room', 'clone', roomUrl).code).toBe(0);
    expectSameBytes(ana.roomDir, serverDir);
    expectSameBytes(bo.roomDir, serverDir);
    // Nothing changed, so nothing moves: the client's hash of its bytes is the server's.
    expect(JSON.parse(ana.sync().stdout)).toMatchObject({ incoming: [], outgoing: [] });

    // The ETag is the sha256 of the file's bytes, and a write guarded by it is accepted.
    const got = await fetch(`${roomUrl}/memory/notes/latin`, { headers: { Accept: 'application/octet-stream' } });
    expect(Buffer.from(await got.arrayBuffer()).equals(latin)).toBe(true);
    expect(got.headers.get('etag')).toBe(`"${sha256(latin)}"`);

    // Push: ana changes two files and adds one; the server holds her bytes.
    const anaLatin = Buffer.from('---\nnote: ana\n---\nana \xe9\xe8\xff\n', 'latin1');
    const anaBom = Buffer.concat([bom, Buffer.from('ana\r\n')]);
    const anaNew = Buffer.from([0xff, 0xfe, 0x61, 0x00, 0x6e, 0x00, 0x61, 0x00]); // UTF-16LE with its BOM
    writeFileSync(join(ana.roomDir, 'notes', 'latin.md'), anaLatin);
    writeFileSync(join(ana.roomDir, 'bom.md'), anaBom);
    writeFileSync(join(ana.roomDir, 'notes', 'utf16.md'), anaNew);
    const pushed = ana.sync();
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout).outgoing).toEqual([
      { type: 'updated', key: 'bom' },
      { type: 'updated', key: 'notes/latin' },
      { type: 'created', key: 'notes/utf16' },
    ]);
    expectSameBytes(ana.roomDir, serverDir);

    // Pull: bo receives ana's bytes through the change feed.
    const pulled = bo.sync();
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout).outgoing).toEqual([]);
    expectSameBytes(bo.roomDir, serverDir);

    // A conflict: both edit the same non-UTF-8 memory; both versions survive on every copy.
    const anaSide = Buffer.from('ana \xe9\xff again\n', 'latin1');
    const boSide = Buffer.from('bo \xfe\xe8 again\n', 'latin1');
    writeFileSync(join(ana.roomDir, 'notes', 'latin.md'), anaSide);
    writeFileSync(join(bo.roomDir, 'notes', 'latin.md'), boSide);
    const first = ana.sync();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const conflict = bo.sync();
    expect(conflict.code, conflict.stderr).toBe(3);
    const sibling = JSON.parse(conflict.stdout).conflicts[0].conflict_key as string;
    expect(ana.sync().code).toBe(0);
    for (const dir of [serverDir, ana.roomDir, bo.roomDir]) {
      expect(readFileSync(join(dir, 'notes', 'latin.md')).equals(anaSide)).toBe(true);
      expect(readFileSync(join(dir, `${sibling}.md`)).equals(boSide)).toBe(true);
    }
    expectSameBytes(ana.roomDir, serverDir);
    expectSameBytes(bo.roomDir, serverDir);
    for (const p of [ana, bo]) expect(JSON.parse(p.sync().stdout)).toMatchObject({ incoming: [], outgoing: [], conflicts: [] });

    // The wire: bytes that are not UTF-8 come as content_base64 when asked for; a client that does
    // not ask (older than this) gets content null for them, never a decoded copy; UTF-8 stays text.
    const feed = async (query: string) => (await (await fetch(`${roomUrl}/changes?since=0&content=1${query}`)).json()) as any;
    const entry = (page: any, key: string) => page.changes.find((c: any) => c.key === key);
    const asked = await feed('&encoding=base64');
    expect(Buffer.from(entry(asked, 'lone').content_base64, 'base64').equals(lone)).toBe(true);
    expect(entry(asked, 'lone').hash).toBe(sha256(lone));
    expect(Buffer.from(entry(asked, 'bom').content, 'utf8').equals(anaBom)).toBe(true);
    const old = await feed('');
    expect(entry(old, 'lone')).toMatchObject({ hash: sha256(lone), content: null });
    expect(entry(old, 'lone')).not.toHaveProperty('content_base64');
    expect((await fetch(`${roomUrl}/changes?since=0&content=1&encoding=hex`)).status).toBe(400);

    // A PUT of exact bytes guarded by the ETag is taken; a stale ETag is refused with 412.
    const fresh = Buffer.from('fresh \x80\x81\n', 'latin1');
    const put = (guard: string) =>
      fetch(`${roomUrl}/memory/notes/latin`, { method: 'PUT', body: fresh, headers: { 'Content-Type': 'application/octet-stream', 'If-Match': guard } });
    expect((await put(`"${sha256(boSide)}"`)).status).toBe(412);
    const accepted = await put(`"${sha256(anaSide)}"`);
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as any).hash).toBe(sha256(fresh));
    expect(readFileSync(join(serverDir, 'notes', 'latin.md')).equals(fresh)).toBe(true);
  }, 60_000);
});
