import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { claudePaths, cliEntryPath } from './claude-code.js';
import { BACKUP_SUFFIX, jsonText, objectField, projectDir, readJsonObject, readText, removeFile, sameJson, shellQuote, writeHostFile } from './host-files.js';

/**
 * Claude Code hooks that put the room's digest in front of the agent. Claude Code reads hooks from
 * `settings.json` (user: `~/.claude/settings.json`, or `$CLAUDE_CONFIG_DIR/settings.json`; project:
 * `<repo>/.claude/settings.json`) as `hooks.<Event>: [{ matcher?, hooks: [{ type: "command",
 * command, timeout }] }]`; the stdout of a command hook that exits 0 on `SessionStart` and
 * `UserPromptSubmit` is added to the model's context (docs.claude.com/en/docs/claude-code/hooks).
 * mycelium's entries are recognised by their command (`… mycelium.js hook session-start|prompt`),
 * so `remove` takes out exactly those and leaves every other key, hook and group as it was.
 */

export const HOOK_EVENTS = {
  SessionStart: { verb: 'session-start', timeout: 10 },
  UserPromptSubmit: { verb: 'prompt', timeout: 5 },
} as const;
type HookEvent = keyof typeof HOOK_EVENTS;

export type HookScope = 'project' | 'user';
export type HooksState = 'not-installed' | 'current' | 'different';

export interface HooksTarget {
  scope: HookScope;
  settingsFile: string;
}

export function hooksTarget(options: { user?: boolean; cwd: string; env: NodeJS.ProcessEnv }): HooksTarget {
  if (options.user) return { scope: 'user', settingsFile: join(claudePaths(options.env).configDir, 'settings.json') };
  return { scope: 'project', settingsFile: join(projectDir(options.cwd), '.claude', 'settings.json') };
}

/** The command Claude Code runs for an event: absolute paths, so it needs no PATH. */
export function hookCommand(event: HookEvent): string {
  return `${shellQuote(process.execPath)} ${shellQuote(cliEntryPath)} hook ${HOOK_EVENTS[event].verb}`;
}

const OURS = /mycelium(\.js)?'? hook (session-start|prompt)$/;

interface HookEntry {
  type?: unknown;
  command?: unknown;
  timeout?: unknown;
}
interface HookGroup {
  matcher?: unknown;
  hooks?: unknown;
}

function isOurs(entry: unknown): boolean {
  const e = entry as HookEntry;
  return e !== null && typeof e === 'object' && e.type === 'command' && typeof e.command === 'string' && OURS.test(e.command);
}

function groupsOf(hooks: Record<string, unknown>, event: string, file: string): HookGroup[] {
  const groups = hooks[event] ?? [];
  if (!Array.isArray(groups)) throw new InvalidInputError(`"hooks.${event}" in ${file} is not a list; fix it and retry`);
  return groups as HookGroup[];
}

/** The groups of one event with mycelium's entries taken out (groups left empty by that dropped). */
function withoutOurs(groups: HookGroup[]): HookGroup[] {
  const out: HookGroup[] = [];
  for (const group of groups) {
    if (!group || typeof group !== 'object' || !Array.isArray(group.hooks)) {
      out.push(group);
      continue;
    }
    const kept = group.hooks.filter((h) => !isOurs(h));
    if (kept.length === group.hooks.length) out.push(group);
    else if (kept.length > 0) out.push({ ...group, hooks: kept });
  }
  return out;
}

function ourGroup(event: HookEvent): HookGroup {
  return { hooks: [{ type: 'command', command: hookCommand(event), timeout: HOOK_EVENTS[event].timeout }] };
}

export async function hooksStatus(target: HooksTarget): Promise<{ state: HooksState; settings: string; scope: HookScope }> {
  const { value } = await readJsonObject(target.settingsFile);
  const hooks = objectField(value, 'hooks', target.settingsFile);
  let found = 0;
  let current = 0;
  for (const event of Object.keys(HOOK_EVENTS) as HookEvent[]) {
    const ours = groupsOf(hooks, event, target.settingsFile).flatMap((g) => (Array.isArray(g?.hooks) ? g.hooks.filter(isOurs) : [])) as HookEntry[];
    found += ours.length;
    if (ours.length === 1 && ours[0].command === hookCommand(event) && ours[0].timeout === HOOK_EVENTS[event].timeout) current++;
  }
  const state: HooksState = found === 0 ? 'not-installed' : found === 2 && current === 2 ? 'current' : 'different';
  return { state, settings: target.settingsFile, scope: target.scope };
}

export interface HooksChange {
  state: 'installed' | 'updated' | 'unchanged' | 'removed' | 'absent';
  settings: string;
  scope: HookScope;
  backup?: string;
}

/** Adds (or brings up to date) the SessionStart and UserPromptSubmit hooks; idempotent. */
export async function addHooks(target: HooksTarget): Promise<HooksChange> {
  const before = await hooksStatus(target); // refuses a broken file before anything is written
  if (before.state === 'current') return { state: 'unchanged', settings: target.settingsFile, scope: target.scope };
  const { text, value } = await readJsonObject(target.settingsFile);
  const hooks = { ...objectField(value, 'hooks', target.settingsFile) };
  for (const event of Object.keys(HOOK_EVENTS) as HookEvent[]) {
    hooks[event] = [...withoutOurs(groupsOf(hooks, event, target.settingsFile)), ourGroup(event)];
  }
  const backup = await writeHostFile(target.settingsFile, text, jsonText({ ...value, hooks }));
  return { state: before.state === 'not-installed' ? 'installed' : 'updated', settings: target.settingsFile, scope: target.scope, backup };
}

/** Takes out exactly mycelium's hook entries; a settings file that held nothing else before is deleted. */
export async function removeHooks(target: HooksTarget): Promise<HooksChange> {
  const { text, value } = await readJsonObject(target.settingsFile);
  const hooks = { ...objectField(value, 'hooks', target.settingsFile) };
  let removed = false;
  for (const event of Object.keys(HOOK_EVENTS) as HookEvent[]) {
    const groups = groupsOf(hooks, event, target.settingsFile);
    const kept = withoutOurs(groups);
    if (sameJson(kept, groups)) continue;
    removed = true;
    if (kept.length > 0) hooks[event] = kept;
    else delete hooks[event];
  }
  if (!removed) return { state: 'absent', settings: target.settingsFile, scope: target.scope };
  const next: Record<string, unknown> = { ...value, hooks };
  if (Object.keys(hooks).length === 0) delete next.hooks;
  const backupPath = target.settingsFile + BACKUP_SUFFIX;
  const backup = await readText(backupPath);
  if (Object.keys(next).length === 0 && backup === undefined) await removeFile(target.settingsFile); // mycelium made it
  else await writeHostFile(target.settingsFile, text, jsonText(next));
  return { state: 'removed', settings: target.settingsFile, scope: target.scope };
}
