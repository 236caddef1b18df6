/**
 * Merging a plan edited on two machines (issue 13), at the level of tasks, so a sync never turns
 * `plan/tasks.md` into a conflict copy. Git sync calls it with the merge base; HTTP sync without one.
 *
 * - Tasks are united by id; a task one side removed stays (nothing is lost).
 * - Done or dropped beats open; needs are united.
 * - Owners: a change on one side only wins; two different claims go to the earlier claim (claimed_at,
 *   then handle), and a note under the task tells the other claimant.
 * - Text edited on both sides: the side written later keeps its text, the other is recorded in a
 *   note under the task.
 * - Lines that are not tasks keep their place; lines only the other side added are put after the
 *   line they followed there.
 */
import { parseMemoryFile, readHeader, serializeMemoryFile } from '../../codec.js';
import { type PlanLine, type TaskLine, parsePlanBody, renderTaskLine } from './format.js';

export const PLAN_PATH = /^plan\/[^/]+\.md$/;

/** True for a key (or path) the plan merge handles: `plan/<name>` memories. */
export function isPlanFile(keyOrPath: string): boolean {
  return PLAN_PATH.test(keyOrPath.endsWith('.md') ? keyOrPath : `${keyOrPath}.md`);
}

interface Side {
  meta: Record<string, unknown>;
  lines: PlanLine[];
  byId: Map<string, TaskLine>;
  claimedAt: Record<string, string>;
  updatedAt: string;
  version: number;
}

function load(content: string): Side | undefined {
  const parsed = parseMemoryFile(content);
  if (parsed.problem) return undefined;
  const lines = parsePlanBody(parsed.body);
  const byId = new Map<string, TaskLine>();
  for (const line of lines) if (line.kind === 'task' && line.task.id && !byId.has(line.task.id)) byId.set(line.task.id, line.task);
  const map = parsed.meta.claimed_at;
  const claimedAt: Record<string, string> = {};
  if (map && typeof map === 'object' && !Array.isArray(map)) for (const [k, v] of Object.entries(map)) if (typeof v === 'string') claimedAt[k] = v;
  const header = readHeader(parsed.meta); // version and times read by the codec's one rule
  return { meta: parsed.meta, lines, byId, claimedAt, updatedAt: header.updated_at ?? '', version: header.version };
}

/**
 * The merged file, or undefined when a side cannot be read as a plan (then the caller keeps both
 * files as for any other memory).
 */
export function mergePlanFiles(baseContent: string | undefined, oursContent: string, theirsContent: string): string | undefined {
  const ours = load(oursContent);
  const theirs = load(theirsContent);
  if (!ours || !theirs) return undefined;
  const base = baseContent === undefined ? undefined : load(baseContent);
  const result: PlanLine[] = ours.lines.map((l) => (l.kind === 'task' ? { ...l, task: { ...l.task, needs: [...l.task.needs] } } : { ...l }));
  const resultIds = new Map<string, number>();
  result.forEach((l, i) => l.kind === 'task' && l.task.id && !resultIds.has(l.task.id) && resultIds.set(l.task.id, i));
  const claimedAt: Record<string, string> = { ...theirs.claimedAt, ...ours.claimedAt };
  const notes = new Map<number, string[]>();
  const theirsLater = theirs.updatedAt > ours.updatedAt;

  for (const [id, index] of resultIds) {
    const line = result[index] as Extract<PlanLine, { kind: 'task' }>;
    const t = theirs.byId.get(id);
    if (!t) continue;
    const o = line.task;
    const b = base?.byId.get(id);
    const before = JSON.stringify(o);
    const said: string[] = [];
    // Text: one side's change wins; both changed: the later write keeps its text, the other is noted.
    if (o.text !== t.text) {
      if (b && b.text === o.text) o.text = t.text;
      else if (!(b && b.text === t.text)) {
        const [kept, other] = theirsLater ? [t.text, o.text] : [o.text, t.text];
        o.text = kept;
        said.push(`  > merge: ${id} was also edited to "${other.replace(/"/g, "'")}"; the later edit was kept`);
      }
    }
    // State: done or dropped beats open.
    if (o.state !== t.state) {
      const closed = o.state === 'open' ? t : t.state === 'open' ? o : b && b.state === o.state ? t : o.state === 'done' ? o : t;
      o.state = closed.state;
      o.closedBy = closed.closedBy;
    }
    o.needs = [...new Set([...o.needs, ...t.needs])];
    // Owner: a change on one side wins; two claims: the earliest claimed_at, then handle.
    if (o.owner !== t.owner) {
      const oAt = ours.claimedAt[id] ?? '';
      const tAt = theirs.claimedAt[id] ?? '';
      let winner: 'ours' | 'theirs';
      if (b && b.owner === o.owner) winner = 'theirs';
      else if (b && b.owner === t.owner) winner = 'ours';
      else if (o.owner === null || t.owner === null) winner = o.owner === null ? 'theirs' : 'ours';
      else winner = (oAt || '~') < (tAt || '~') || ((oAt || '~') === (tAt || '~') && o.owner < t.owner) ? 'ours' : 'theirs';
      const loser = winner === 'ours' ? t.owner : o.owner;
      const owner = winner === 'ours' ? o.owner : t.owner;
      if (owner && loser && !(b && b.owner === loser)) said.push(claimLossNote(loser, id, owner));
      o.owner = owner;
      if (owner) claimedAt[id] = (winner === 'ours' ? oAt : tAt) || claimedAt[id];
    }
    if (JSON.stringify(o) !== before) line.dirty = true;
    const fresh = said.filter((n) => !result.some((l) => l.raw === n) && !theirs.lines.some((l) => l.raw === n));
    if (fresh.length) notes.set(index, fresh);
  }

  // Lines only theirs has: after the line they followed there.
  const inserts = new Map<number, PlanLine[]>();
  let anchor = -1;
  const baseText = new Set(base?.lines.filter((l) => l.kind === 'text').map((l) => l.raw) ?? []);
  for (const line of theirs.lines) {
    if (line.kind === 'task' && line.task.id && resultIds.has(line.task.id)) {
      anchor = resultIds.get(line.task.id)!;
      continue;
    }
    if (line.kind === 'task' && line.task.id) {
      push(inserts, anchor, { ...line });
      continue;
    }
    const at = result.findIndex((l, i) => i > anchor && l.raw === line.raw);
    if (at !== -1) {
      anchor = at;
      continue;
    }
    if (line.raw.trim() === '' || baseText.has(line.raw) || result.some((l) => l.raw === line.raw)) continue;
    push(inserts, anchor, { ...line });
  }

  const out: PlanLine[] = [...(inserts.get(-1) ?? [])];
  result.forEach((line, i) => {
    out.push(line);
    for (const note of notes.get(i) ?? []) out.push({ kind: 'text', raw: note });
    out.push(...(inserts.get(i) ?? []));
  });
  // The file still ends in its newline: lines inserted after the final blank line move before it.
  const last = result[result.length - 1];
  if (last && last.raw === '' && out[out.length - 1] !== last) {
    out.splice(out.indexOf(last), 1);
    out.push(last);
  }
  const owned = Object.fromEntries(Object.entries(claimedAt).filter(([id]) => out.some((l) => l.kind === 'task' && l.task.id === id && l.task.owner)));
  const seen = { ...(objectOf(theirs.meta.seen)), ...(objectOf(ours.meta.seen)) };
  for (const [h, at] of Object.entries(objectOf(theirs.meta.seen))) if (typeof at === 'string' && String(seen[h] ?? '') < at) seen[h] = at;
  const later = theirsLater ? theirs.meta : ours.meta;
  const version = Math.max(ours.version, theirs.version) + 1;
  const body = out.map((l) => (l.kind === 'task' && l.dirty ? renderTaskLine(l.task, l.indent, l.bullet) + (l.cr ? '\r' : '') : l.raw)).join('\n');
  return serializeMemoryFile({ ...ours.meta, updated_at: later.updated_at, updated_by: later.updated_by, version, claimed_at: owned, seen }, body);
}

function push(map: Map<number, PlanLine[]>, at: number, line: PlanLine): void {
  const list = map.get(at) ?? [];
  list.push(line);
  map.set(at, list);
}

function objectOf(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The note a plan merge leaves under a task whose claim was lost (plan show prints it; clash notices read it). */
export function claimLossNote(loser: string, id: string, owner: string): string {
  return `  > merge: @${loser}'s claim of ${id} lost to @${owner}'s earlier claim`;
}

const CLAIM_LOSS_NOTE = /^ {2}> merge: @([a-z0-9][a-z0-9_.-]*)'s claim of (t-[0-9a-z]+) lost to @([a-z0-9][a-z0-9_.-]*)'s earlier claim$/;

/** Every claim loss noted in a plan file's text (the merge's notes, read back). */
export function claimLossesIn(text: string): { loser: string; id: string; owner: string }[] {
  const losses: { loser: string; id: string; owner: string }[] = [];
  for (const line of text.split('\n')) {
    const m = CLAIM_LOSS_NOTE.exec(line.replace(/\r$/, ''));
    if (m) losses.push({ loser: m[1], id: m[2], owner: m[3] });
  }
  return losses;
}
