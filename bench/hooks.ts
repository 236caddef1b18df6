/**
 * Times the Claude Code hooks as Claude Code runs them (a whole process, the hook JSON on stdin) on a
 * room with 10,000 messages, a plan of 1,000 tasks (some ana's, some ready) and 50 live claims, next to bare
 * `node -e 0` measured in the same run, interleaved. Target (issue 15): `hook prompt` and `hook
 * session-start` within node + 60 ms.
 * usage: npm run bench:hooks [-- --runs N --messages N --tasks N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { grantClaim } from '../src/coord/claims/store.js';
import { sendMessage, writeCursor } from '../src/coord/messages/store.js';
import { addTasks, completeTask } from '../src/coord/plan/store.js';
import { buildDigest } from '../src/coord/digest/index.js';
import { DIGEST_CONTRIBUTORS } from '../src/coord/digest/contributors.js';
import { Room } from '../src/room.js';
import { median, timeProcess } from './stats.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const runs = arg('--runs', 20);
const messageCount = arg('--messages', 10000);
const taskCount = arg('--tasks', 1000);
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-hooks-'));
const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'ana', MYCELIUM_ROOM: 'bench' };

const time = (args: string[], input = ''): { ms: number; stdout: string } => timeProcess(args, env, input);


try {
  time([cli, 'room', 'create', 'bench']);
  const room = await Room.open(home, 'bench');
  const handles = ['bob', 'cy', 'dee', 'eli', 'ana'];
  let clock = Date.now() - messageCount * 1000;
  const seedStart = Date.now();
  let lastRead = '';
  for (let i = 0; i < messageCount; i++) {
    const from = handles[i % 4];
    const text = i % 10 === 0 ? `@ana message ${i}: can you look at module ${i % 97}?` : `message ${i} about module ${i % 97}`;
    const sent = await sendMessage(room, { from, text }, () => new Date((clock += 1000)));
    if (i === messageCount - 30) lastRead = sent.id;
  }
  // The plan: a quarter done, every tenth open task ana's, the rest unowned (ready for her to take).
  const tasks = await addTasks(room, 'bob', Array.from({ length: taskCount }, (_, i) => ({ text: `task ${i} on module ${i % 97}`, ...(i % 10 === 0 ? { owner: 'ana' } : {}) })));
  await completeTask(room, 'bob', tasks.filter((_, i) => i % 4 === 3).map((t) => t.id));
  for (let i = 0; i < 50; i++) await grantClaim(room, { holder: handles[i % 5], paths: [`src/module${i}`] });
  console.log(`seeded ${messageCount} messages, ${taskCount} tasks and 50 claims in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
  // A working agent: it has read its inbox up to 30 messages ago and had a digest before.
  await writeCursor(room, 'ana', lastRead);
  await buildDigest(room, 'ana', { contributors: DIGEST_CONTRIBUTORS });

  const prompt = JSON.stringify({ session_id: 's', cwd: home, hook_event_name: 'UserPromptSubmit', prompt: 'go on' });
  const start = JSON.stringify({ session_id: 's', cwd: home, hook_event_name: 'SessionStart', source: 'startup' });
  const samples: Record<string, number[]> = { node: [], prompt: [], start: [], digest: [] };
  for (let i = 0; i < runs; i++) {
    samples.node.push(time(['-e', '0']).ms);
    samples.prompt.push(time([cli, 'hook', 'prompt'], prompt).ms);
    samples.start.push(time([cli, 'hook', 'session-start'], start).ms);
    samples.digest.push(time([cli, 'digest']).ms);
  }
  const base = median(samples.node);
  console.log(`runs: ${runs} each (${process.version}, ${process.platform}), room: ${messageCount} messages, ${taskCount} tasks, 50 claims`);
  console.log(`node -e 0                 median ${base.toFixed(1)} ms`);
  const rows: [string, string][] = [['prompt', 'hook prompt'], ['start', 'hook session-start'], ['digest', 'digest (CLI)']];
  for (const [key, label] of rows) {
    const m = median(samples[key]);
    console.log(`mycelium ${label.padEnd(18)} median ${m.toFixed(1)} ms  (+${(m - base).toFixed(1)} ms over node)`);
  }
  for (const key of ['prompt', 'start']) {
    const over = median(samples[key]) - base;
    console.log(`target: hook ${key} within node + 60 ms: ${over <= 60 ? 'met' : 'MISSED'} (+${over.toFixed(1)} ms)`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
