import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DependencyCycleError, InvalidTaskError, TaskClaimedError, TaskNotFoundError } from '../src/errors.js';
import { Room } from '../src/room.js';
import { parsePlanBody, renderPlanBody, renderTaskLine } from '../src/coord/plan/format.js';
import {
  PLAN_KEY,
  addNeeds,
  addTasks,
  assignTask,
  claimTask,
  completeTask,
  dropTask,
  editTask,
  nextReady,
  readPlan,
  reopenTask,
} from '../src/coord/plan/store.js';
import { homeWithRoom } from './helpers.js';

async function freshRoom(): Promise<Room> {
  return Room.open(homeWithRoom(), 'team');
}

async function handWrite(room: Room, body: string): Promise<void> {
  const path = room.pathOf(PLAN_KEY);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}

describe('plan file format', () => {
  it('reads tokens at the end of a line and renders them back the same', () => {
    const line = '- [ ] Write the migration @alice (t-7k2f) needs:t-3a9c,t-0b1d';
    const [parsed] = parsePlanBody(line);
    expect(parsed.kind).toBe('task');
    if (parsed.kind !== 'task') return;
    expect(parsed.task).toEqual({ id: 't-7k2f', text: 'Write the migration', state: 'open', owner: 'alice', needs: ['t-3a9c', 't-0b1d'], closedBy: null });
    expect(renderTaskLine(parsed.task)).toBe(line);
    const [done] = parsePlanBody('- [x] Pick a db (t-3a9c) done:@bob');
    expect(done.kind === 'task' && done.task.state === 'done' && done.task.closedBy === 'bob').toBe(true);
    const [dropped] = parsePlanBody('- [-] Try SQLite (t-0b1d) dropped:@bob');
    expect(dropped.kind === 'task' && dropped.task.state).toBe('dropped');
  });

  it('keeps headings, prose, blank lines and CRLF byte for byte', () => {
    const body = '# Plan\r\n\r\nSome prose.\n\n## Phase 1\n- [ ] a (t-aaaa)\n  a note under it\n- [ ] b (t-bbbb)\n';
    expect(renderPlanBody(parsePlanBody(body))).toBe(body);
  });
});

describe('plan library', () => {
  it('adds tasks with distinct ids, prints them in file order, and reads ready and blocked', async () => {
    const room = await freshRoom();
    const [a] = await addTasks(room, 'ana', [{ text: 'Pick the database' }]);
    expect(a.id).toMatch(/^t-[0-9a-z]{4}$/);
    const [b] = await addTasks(room, 'ana', [{ text: 'Write the migration', needs: [a.id], owner: 'bob' }]);
    const [c] = await addTasks(room, 'ana', [{ text: 'Ship it', needs: [b.id] }]);
    const plan = await readPlan(room);
    expect(plan.tasks.map((t) => [t.id, t.status])).toEqual([
      [a.id, 'ready'],
      [b.id, 'claimed'],
      [c.id, 'blocked'],
    ]);
    expect(plan.tasks[2].waiting).toEqual([b.id]);
    const file = await readFile(room.pathOf(PLAN_KEY), 'utf8');
    expect(file).toContain(`- [ ] Write the migration @bob (${b.id}) needs:${a.id}\n`);
    expect(file).toContain('# Plan\n\n- [ ] Pick the database');
  });

  it('claim is a compare-and-set: idempotent for me, refused naming the holder for others', async () => {
    const room = await freshRoom();
    const [t] = await addTasks(room, 'ana', [{ text: 'Do the thing' }]);
    expect((await claimTask(room, 'bob', t.id)).task.owner).toBe('bob');
    expect((await claimTask(room, 'bob', t.id)).task.owner).toBe('bob');
    await expect(claimTask(room, 'cy', t.id)).rejects.toThrow(/claimed by @bob/);
    await expect(claimTask(room, 'cy', t.id)).rejects.toBeInstanceOf(TaskClaimedError);
    const [done] = await completeTask(room, 'bob', [t.id]);
    expect(done).toMatchObject({ state: 'done', closed_by: 'bob', status: 'done' });
    expect(await readFile(room.pathOf(PLAN_KEY), 'utf8')).toContain(`done:@bob`);
    // Claiming a done task is refused (exit 3) and says how to reopen it.
    await expect(claimTask(room, 'cy', t.id)).rejects.toThrow(/is done by @bob; reopen it/);
    const [reopened] = await reopenTask(room, 'bob', [t.id]);
    expect(reopened).toMatchObject({ state: 'open', closed_by: null });
  });

  it('a claimed task whose owner is not seen for the stall window shows stalled and is offered to others', async () => {
    const room = await freshRoom();
    const t0 = new Date('2026-01-01T10:00:00Z');
    const [t] = await addTasks(room, 'ana', [{ text: 'Long job' }], { now: () => t0 });
    await claimTask(room, 'bob', t.id, { now: () => t0 });
    const later = { now: () => new Date(t0.getTime() + 31 * 60_000) };
    expect((await readPlan(room, later)).tasks[0].status).toBe('stalled');
    expect((await readPlan(room, { now: () => new Date(t0.getTime() + 29 * 60_000) })).tasks[0].status).toBe('claimed');
    const offered = await nextReady(room, 'cy', { ...later, claim: true });
    expect(offered).toMatchObject({ took_over: 'bob', task: { id: t.id, owner: 'cy' } });
  });

  it('ready: my assigned tasks first, then unowned; blocked ones never; --claim claims in one step', async () => {
    const room = await freshRoom();
    const [a, b] = await addTasks(room, 'ana', [{ text: 'free one' }, { text: 'mine', owner: 'cy' }]);
    await addTasks(room, 'ana', [{ text: 'blocked', needs: [a.id] }]);
    expect((await nextReady(room, 'cy'))?.task.id).toBe(b.id);
    expect((await nextReady(room, 'dan'))?.task.id).toBe(a.id);
    const claimed = await nextReady(room, 'dan', { claim: true });
    expect(claimed?.task).toMatchObject({ id: a.id, owner: 'dan' });
    expect(await nextReady(room, 'eve')).toBeUndefined();
    await dropTask(room, 'dan', [a.id]);
    expect((await nextReady(room, 'eve'))?.task.text).toBe('blocked');
  });

  it('assign, edit and needs change only their task; a cycle is refused naming it', async () => {
    const room = await freshRoom();
    const [a, b, c] = await addTasks(room, 'ana', [{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
    await addNeeds(room, 'ana', b.id, [a.id]);
    await addNeeds(room, 'ana', c.id, [b.id]);
    await expect(addNeeds(room, 'ana', a.id, [c.id])).rejects.toThrow(new RegExp(`cycle: ${a.id} → ${c.id} → ${b.id} → ${a.id}`));
    await expect(addNeeds(room, 'ana', a.id, [c.id])).rejects.toBeInstanceOf(DependencyCycleError);
    await expect(addNeeds(room, 'ana', a.id, [a.id])).rejects.toThrow(/cannot need itself/);
    expect((await assignTask(room, 'ana', a.id, 'Bob')).owner).toBe('bob');
    expect((await editTask(room, 'ana', a.id, 'a, reworded')).text).toBe('a, reworded');
    const file = await readFile(room.pathOf(PLAN_KEY), 'utf8');
    expect(file).toContain(`- [ ] a, reworded @bob (${a.id})\n`);
    expect(file).toContain(`- [ ] c (${c.id}) needs:${b.id}\n`);
  });

  it('an unknown id suggests the closest; bad text and ids are refused; nothing is written', async () => {
    const room = await freshRoom();
    const [a] = await addTasks(room, 'ana', [{ text: 'a' }]);
    const before = await readFile(room.pathOf(PLAN_KEY), 'utf8');
    const typo = a.id.slice(0, -1) + (a.id.endsWith('z') ? 'y' : 'z');
    await expect(claimTask(room, 'bob', typo)).rejects.toThrow(new RegExp(`did you mean ${a.id}\\?`));
    await expect(claimTask(room, 'bob', typo)).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(completeTask(room, 'bob', [a.id, 't-zzzzzz'])).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(addTasks(room, 'ana', [{ text: '' }])).rejects.toBeInstanceOf(InvalidTaskError);
    await expect(addTasks(room, 'ana', [{ text: 'two\nlines' }])).rejects.toBeInstanceOf(InvalidTaskError);
    await expect(addTasks(room, 'ana', [{ text: 'ask @bob' }])).rejects.toThrow(/reads as a task token/);
    await expect(addTasks(room, 'ana', [{ text: 'x', needs: ['nonsense'] }])).rejects.toBeInstanceOf(InvalidTaskError);
    await expect(addTasks(room, 'ana', [{ text: 'x', needs: ['t-0000'] }])).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await readFile(room.pathOf(PLAN_KEY), 'utf8')).toBe(before);
    expect((await readPlan(room)).tasks).toHaveLength(1);
  });

  it('a hand-edited plan: broken lines, missing and duplicate ids, ids in the wrong place are kept and warned', async () => {
    const room = await freshRoom();
    await handWrite(
      room,
      '# Plan\n\nIntro text.\n- [ ] first (t-aaaa)\n- [ ] added by hand, no id\n- [ ] copy (t-aaaa)\n- [ x] broken box\n- [ ] see (t-bbbb) first\n- [ ] waits needs:t-cccc\n',
    );
    const plan = await readPlan(room);
    expect(plan.warnings.join('\n')).toMatch(/duplicate task id t-aaaa/);
    expect(plan.warnings.join('\n')).toMatch(/looks like a task but is not one/);
    expect(plan.warnings.join('\n')).toMatch(/id in the middle of the text/);
    expect(plan.warnings.join('\n')).toMatch(/no id yet/);
    const waits = plan.tasks.find((t) => t.text === 'waits')!;
    expect(waits).toMatchObject({ status: 'blocked', missing: ['t-cccc'] });
    // The next write gives ids, keeps every text byte for byte and every other line where it was.
    await addTasks(room, 'ana', [{ text: 'new' }]);
    const file = (await readFile(room.pathOf(PLAN_KEY), 'utf8')).split('---\n').slice(2).join('---\n');
    const lines = file.split('\n');
    expect(lines.slice(0, 4)).toEqual(['# Plan', '', 'Intro text.', '- [ ] first (t-aaaa)']);
    expect(lines[4]).toMatch(/^- \[ \] added by hand, no id \(t-[0-9a-z]{4}\)$/);
    expect(lines[5]).toMatch(/^- \[ \] copy \(t-[0-9a-z]{4}\)$/);
    expect(lines[5]).not.toContain('t-aaaa');
    expect(lines[6]).toBe('- [ x] broken box');
    expect(lines[7]).toMatch(/^- \[ \] see \(t-bbbb\) first \(t-[0-9a-z]{4}\)$/);
    expect(lines[8]).toMatch(/^- \[ \] waits \(t-[0-9a-z]{4}\) needs:t-cccc$/);
    const ids = (await readPlan(room)).tasks.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^t-/.test(id))).toBe(true);
  });

  it('concurrent writers in one process never lose a task', async () => {
    const room = await freshRoom();
    await Promise.all(Array.from({ length: 20 }, (_, i) => addTasks(room, `w${i % 4}`, [{ text: `task ${i}` }])));
    const plan = await readPlan(room);
    expect(plan.tasks).toHaveLength(20);
    expect(new Set(plan.tasks.map((t) => t.id)).size).toBe(20);
  });
});
