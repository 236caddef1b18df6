import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom } from './helpers.js';

/**
 * The daemon steps sessions that time alone moves on (issue 14): with every agent stopped, a join
 * window that closes starts the session and a round nobody answers breaks it, with no CLI call
 * after the joins. Real daemon processes, real files.
 */
const as = (handle: string) => ['--room', 'team', '--handle', handle];

function sessionDir(home: string): string {
  const root = join(home, 'rooms', 'team', 'sessions');
  const ids = readdirSync(root).sort();
  return join(root, ids[ids.length - 1]);
}

/** A memory file's JSON body (frontmatter, then a fenced json block). */
function jsonBody(path: string): any {
  const text = readFileSync(path, 'utf8');
  return JSON.parse(text.slice(text.indexOf('```json\n') + 8, text.lastIndexOf('```')));
}

function sessionFile(home: string): { state: string; round: number; reason: string | null; prior_round_outcome: string } {
  return jsonBody(join(sessionDir(home), 'session.md'));
}

function ok(result: { code: number; stderr: string }): void {
  expect(result.code, result.stderr).toBe(0);
}

/** The mediator's messages in the room (tick and consensus messages), by recipient. */
function mediatorMessagesTo(home: string, handle: string): string[] {
  const root = join(home, 'rooms', 'team', 'messages');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) {
        const text = readFileSync(path, 'utf8');
        if (/from: mediator/.test(text) && new RegExp(`to:[^\\n]*\\b${handle}\\b`).test(text)) out.push(text);
      }
    }
  };
  walk(root);
  return out;
}

describe('the daemon steps negotiations nobody is looking at', () => {
  it('a join window that closes starts the session, and a round nobody answers breaks it, without any CLI call', async () => {
    const home = homeWithRoom();
    const daemon = await startDaemon(home);
    ok(cli(['session', 'join', ...as('ana'), '--prefer', 'api=rest>graphql'], { home }));
    ok(cli(['negotiate', 'open', ...as('ana'), '--issue', 'api=rest,graphql', '--join-window', '1s', '--round-timeout', '1s'], { home }));
    ok(cli(['session', 'join', ...as('bob'), '--prefer', 'api=graphql>rest'], { home }));
    expect(sessionFile(home).state).toBe('joining');
    // No agent runs from here on: only the daemon can move the session.
    const started = await waitFor(() => (sessionFile(home).state !== 'joining' ? sessionFile(home) : undefined), 15_000, 'the daemon to start the session');
    expect(started).toMatchObject({ round: 1, prior_round_outcome: 'first_round' });
    // Round 1's ticks went out as messages, one to each participant.
    await waitFor(() => mediatorMessagesTo(home, 'ana').length > 0 && mediatorMessagesTo(home, 'bob').length > 0, 10_000, 'the round 1 tick messages');
    const ended = await waitFor(() => (sessionFile(home).state === 'concluded' ? sessionFile(home) : undefined), 15_000, 'the daemon to time the round out');
    expect(ended.round).toBe(1);
    expect(ended.reason).toMatch(/ana, bob did not reply within 1s in round 1/);
    expect(jsonBody(join(sessionDir(home), 'consensus.md'))).toMatchObject({ broken: true, outcome: null, round: 1 });
    expect(existsSync(join(sessionDir(home), 'rounds', '1'))).toBe(false); // nobody replied: the daemon wrote no reply
    expect(daemon.child.exitCode).toBeNull();
    // What an agent sees when it comes back: the consensus the daemon recorded.
    const back = cli(['session', 'await', ...as('bob'), '--timeout', '1'], { home });
    expect(JSON.parse(back.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ type: 'consensus', broken: true });
  }, 60_000);

  it('kill -9 of the daemon mid-round, then a restart: the restarted daemon times the round out', async () => {
    const home = homeWithRoom();
    ok(cli(['negotiate', 'open', ...as('lead'), '--issue', 'api=rest,graphql', '--participants', 'ana,bob', '--round-timeout', '2s'], { home }));
    ok(cli(['session', 'join', ...as('ana'), '--prefer', 'api=rest>graphql'], { home }));
    const first = await startDaemon(home);
    ok(cli(['session', 'join', ...as('bob'), '--prefer', 'api=graphql>rest'], { home })); // both in: round 1 starts
    expect(sessionFile(home)).toMatchObject({ state: 'active', round: 1 });
    ok(cli(['negotiate', 'respond', ...as('ana'), 'accept'], { home }));
    first.child.kill('SIGKILL');
    await first.exited;
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the deadline passes with no daemon
    expect(sessionFile(home)).toMatchObject({ state: 'active', round: 1 });
    const second = await startDaemon(home);
    const ended = await waitFor(() => (sessionFile(home).state === 'concluded' ? sessionFile(home) : undefined), 15_000, 'the restarted daemon to step');
    expect(ended.reason).toMatch(/^bob did not reply within 2s in round 1/); // ana's reply counted: only bob was silent
    expect(second.child.exitCode).toBeNull();
  }, 60_000);

  it('a corrupt session.md is named in the daemon log once and left as it is; the daemon keeps running', async () => {
    const home = homeWithRoom();
    ok(cli(['negotiate', 'open', ...as('lead'), '--issue', 'api=rest,graphql', '--participants', 'ana,bob', '--round-timeout', '1s'], { home }));
    ok(cli(['session', 'join', ...as('ana')], { home }));
    ok(cli(['session', 'join', ...as('bob')], { home }));
    const path = join(sessionDir(home), 'session.md');
    writeFileSync(path, '---\nformat: json\n---\n{"state": "active", "round": "three"}\n');
    const daemon = await startDaemon(home);
    await waitFor(() => /session\.md is not a valid negotiation file/.test(daemon.stderr()), 10_000, 'the daemon to name the corrupt file');
    writeFileSync(join(home, 'rooms', 'team', 'note.md'), 'a change elsewhere\n');
    writeFileSync(join(sessionDir(home), 'positions', 'zed.md'), '---\nformat: json\n---\n{}\n'); // a change under sessions/: another look
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(daemon.stderr().match(/is not a valid negotiation file/g)).toHaveLength(1);
    expect(readFileSync(path, 'utf8')).toContain('"round": "three"');
    const status = cli(['daemon', 'status', '--json'], { home });
    ok(status);
    expect(daemon.child.exitCode).toBeNull();
  }, 60_000);
});
