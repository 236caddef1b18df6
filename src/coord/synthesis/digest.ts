import { promptSafeClip } from '../prompt-safe.js';
import type { ChangedMemory } from './select.js';

/** Folders in the order a digest shows them; any other folder follows, alphabetically. */
export const DIGEST_FOLDER_ORDER = ['decisions', 'work', 'status', 'context', 'failed', 'procedures'] as const;

const TOP_LEVEL = '(top level)';

function folderOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? TOP_LEVEL : key.slice(0, slash);
}

/** Groups memories by top folder in digest order, each group newest first (input order is kept). */
export function groupByFolder(items: ChangedMemory[]): { folder: string; items: ChangedMemory[] }[] {
  const groups = new Map<string, ChangedMemory[]>();
  for (const item of items) {
    const folder = folderOf(item.key);
    groups.set(folder, [...(groups.get(folder) ?? []), item]);
  }
  const rank = (folder: string) => {
    const known = (DIGEST_FOLDER_ORDER as readonly string[]).indexOf(folder);
    return known >= 0 ? known : DIGEST_FOLDER_ORDER.length + (folder === TOP_LEVEL ? 1 : 0);
  };
  return [...groups.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((folder) => ({ folder, items: groups.get(folder)! }));
}

/** One line per memory: key, author, date and first line (the text is another agent's: made inert). */
export function itemLine(item: ChangedMemory): string {
  return `- \`${item.key}\` by ${promptSafeClip(item.by, 80)}, ${item.at.slice(0, 10)}: ${promptSafeClip(item.first_line, 200)}`;
}

export interface DigestHeader {
  room: string;
  at: string;
  since: string | null;
  /** Why the digest stands in for an LLM answer, when it does. */
  note?: string;
  /** Input keys deleted since the previous synthesis, sorted. */
  deleted?: string[];
}

/** Deleted keys listed in a digest; the rest are counted. */
export const DIGEST_DELETED_SHOWN = 200;

/** The synthesis made without an LLM: the same input always gives the same text. */
export function renderDigest(items: ChangedMemory[], header: DigestHeader): string {
  const lines = [
    `# Synthesis of room '${header.room}' at ${header.at}`,
    '',
    `${items.length} ${items.length === 1 ? 'memory' : 'memories'} changed ${header.since ? `since ${header.since}` : 'since the room began'} (method: digest).`,
  ];
  if (header.note) lines.push('', `Note: ${header.note}`);
  for (const group of groupByFolder(items)) {
    lines.push('', `## ${group.folder === TOP_LEVEL ? group.folder : `${group.folder}/`} (${group.items.length})`, '');
    for (const item of group.items) lines.push(itemLine(item));
  }
  const deleted = header.deleted ?? [];
  if (deleted.length > 0) {
    lines.push('', `## Deleted (${deleted.length})`, '');
    for (const key of deleted.slice(0, DIGEST_DELETED_SHOWN)) lines.push(`- \`${promptSafeClip(key, 300)}\``);
    if (deleted.length > DIGEST_DELETED_SHOWN) lines.push(`- and ${deleted.length - DIGEST_DELETED_SHOWN} more (\`mycelium room catchup\` lists them)`);
  }
  if (items.length === 0 && deleted.length === 0) lines.push('', 'Nothing changed.');
  return lines.join('\n') + '\n';
}
