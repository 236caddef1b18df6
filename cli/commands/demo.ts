import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { createRoom, listRooms } from '../../src/rooms.js';
import { printJson, printLine, type CommonOptions } from '../output.js';
import { coordinationDemo } from './demo-coordination.js';

/** A tour of the core in a throwaway home: every step checks what it read back. */
export async function demo(options: CommonOptions = {}): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'mycelium-demo-'));
  // With --json the steps are collected and printed as one object at the end.
  const steps: { command: string; result: string }[] = [];
  const say = (line: string) => (options.json ? undefined : printLine(line));
  const step = (command: string, result: string) => (options.json ? steps.push({ command, result }) : say(`  $ ${command}\n    ${result}`));
  try {
    say(`mycelium demo: a temporary home at ${home}`);
    const { room } = await createRoom(home, 'demo');
    step('mycelium room create demo', `room at ${room.dir}`);

    const text = 'Use Postgres 16 for the main store.\nSQLite stays for local caches.\n';
    const textChange = await room.set('decisions/db', text, { handle: 'demo-agent', tags: ['database'] });
    step('mycelium memory set decisions/db "Use Postgres 16…" --tags database', `v${textChange.version} → ${textChange.path}`);

    const json = { owner: 'ana', services: ['api', 'worker'], replicas: 3 };
    const jsonChange = await room.set('context/deploy', JSON.stringify(json), { handle: 'demo-agent' });
    step(`mycelium memory set context/deploy '${JSON.stringify(json)}'`, `stored as JSON, v${jsonChange.version}`);

    const file = room.pathOf('decisions/db');
    const edited = (await readFile(file, 'utf8')).replace('Postgres 16', 'Postgres 17');
    await writeFile(file, edited);
    const handWritten = room.pathOf('notes/todo');
    await mkdir(join(room.dir, 'notes'));
    await writeFile(handWritten, '# Todo\n- write the runbook\n');
    step('(a person edits decisions/db.md and writes notes/todo.md by hand)', 'files changed on disk');

    const db = await room.get('decisions/db');
    strictEqual(db.value, text.replace('Postgres 16', 'Postgres 17'));
    step('mycelium memory get decisions/db', JSON.stringify((db.value as string).split('\n')[0]));
    const deploy = await room.get('context/deploy');
    deepStrictEqual(deploy.value, json);
    step('mycelium memory get context/deploy', JSON.stringify(deploy.value));
    const todo = await room.get('notes/todo');
    strictEqual(todo.version, 0);
    step('mycelium memory get notes/todo', JSON.stringify((todo.value as string).split('\n')[0]) + ' (hand-written, no frontmatter)');

    const { memories } = await room.list();
    deepStrictEqual(memories.map((m) => m.key), ['context/deploy', 'decisions/db', 'notes/todo']);
    step('mycelium memory ls', memories.map((m) => `${m.key} v${m.version}`).join(', '));

    await room.remove('notes/todo', 'demo-agent');
    const after = await room.list();
    strictEqual(after.memories.length, 2);
    const [summary] = await listRooms(home);
    step('mycelium memory rm notes/todo', `removed; room '${summary.name}' now holds ${summary.memories} ${summary.memories === 1 ? 'memory' : 'memories'}`);

    say('coordination: three agents in the same room');
    await coordinationDemo(room, step);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  if (options.json) return printJson({ passed: true, steps });
  printLine('✔ mycelium demo passed: memories (text, JSON, hand edits, listing, removal) and coordination (agents, negotiation to consensus, plan, claims, messages, digest) all work (temporary home removed)');
}
