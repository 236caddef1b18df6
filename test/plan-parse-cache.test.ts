import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePlanBody } from '../src/coord/plan/format.js';
import { PLAN_KEY, addTasks, completeTask, readPlan } from '../src/coord/plan/store.js';
import { planParseCachePath } from '../src/home-paths.js';
import { Room } from '../src/room.js';
import { homeWithRoom } from './helpers.js';

// The parse of a big plan is cached in the home, keyed by the body's hash: never served for another body (issue 13 speed).
async function bigPlan(): Promise<{ room: Room; ids: string[] }> {
  const room = await Room.open(homeWithRoom(), 'team');
  const tasks = await addTasks(room, 'ana', Array.from({ length: 1500 }, (_, i) => ({ text: `task number ${i} of a plan big enough to cache` })));
  return { room, ids: tasks.map((t) => t.id) };
}

/** The plan as an uncached parse reads it: the tasks' lines, ids, texts and states. */
async function uncached(room: Room) {
  const memory = await room.get(PLAN_KEY);
  return parsePlanBody(memory.value as string).flatMap((l) => (l.kind === 'task' ? [[l.task.id, l.task.text, l.task.state, l.task.owner]] : []));
}
const shown = (plan: Awaited<ReturnType<typeof readPlan>>) => plan.tasks.map((t) => [t.id, t.text, t.state, t.owner]);

describe('the plan parse cache', () => {
  it('a write leaves the parse of what it wrote; a read from it equals a fresh parse', async () => {
    const { room, ids } = await bigPlan();
    const path = planParseCachePath(room.home, room.name);
    expect(existsSync(path)).toBe(true);
    await completeTask(room, 'bo', [ids[7]]);
    const past = new Date(Date.now() - 60_000);
    utimesSync(path, past, past);
    const plan = await readPlan(room);
    expect(plan.tasks[7]).toMatchObject({ id: ids[7], state: 'done', closed_by: 'bo' });
    expect(shown(plan)).toEqual(await uncached(room));
    expect(statSync(path).mtimeMs).toBe(past.getTime()); // served from the cache the write left, not parsed and stored again
  });

  it('a hand edit of the same size and mtime is read as edited, never from the cache', async () => {
    const { room, ids } = await bigPlan();
    await readPlan(room);
    const file = room.pathOf(PLAN_KEY);
    const before = statSync(file);
    const text = readFileSync(file, 'utf8');
    const edited = text.replace('task number 3 of', 'TASK NUMBER 3 of').replace(`- [ ] task number 4 of a plan big enough to cache (${ids[4]})`, `- [x] task number 4 of a plan big enough to cache (${ids[4]})`);
    expect(edited.length).toBe(text.length);
    writeFileSync(file, edited);
    utimesSync(file, before.atime, before.mtime);
    const plan = await readPlan(room, {});
    expect(plan.tasks[3].text).toBe('TASK NUMBER 3 of a plan big enough to cache');
    expect(plan.tasks[4].state).toBe('done');
    expect(shown(plan)).toEqual(await uncached(room));
  });

  it('keeps the warnings of broken lines, and a cache file broken by hand is parsed past', async () => {
    const { room } = await bigPlan();
    const file = room.pathOf(PLAN_KEY);
    writeFileSync(file, readFileSync(file, 'utf8').replace('\n- [ ] task number 9 ', '\n- [?] task number 9 '));
    const first = await readPlan(room);
    const second = await readPlan(room);
    expect(first.warnings.some((w) => w.includes('looks like a task but is not one'))).toBe(true);
    expect(second.warnings).toEqual(first.warnings);
    expect(shown(second)).toEqual(shown(first));
    const path = planParseCachePath(room.home, room.name);
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    stored.tasks[0] = ['nonsense'];
    writeFileSync(path, JSON.stringify(stored));
    expect(shown(await readPlan(room))).toEqual(shown(first));
    writeFileSync(path, '{not json');
    expect(shown(await readPlan(room))).toEqual(shown(first));
  });
});
