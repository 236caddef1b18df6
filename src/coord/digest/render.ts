import { promptSafe } from '../prompt-safe.js';
import type { DigestData, DigestLine } from './model.js';

/**
 * The digest as plain text for a prompt. Claude Code passes a hook's stdout to the model whole up
 * to 10,000 characters, so the digest never goes over that; the default budget is 4,000. Each section
 * has a fixed cap, and whatever a cap or the budget cuts is named with the command that shows it.
 * Text other agents wrote is escaped (`promptSafe`) and always indented under a `>` or inside quotes,
 * so it can neither pose as a host tag nor as one of the digest's own headings.
 */

export const DEFAULT_DIGEST_CHARS = 4000;
export const MAX_DIGEST_CHARS = 10000;

/** Per-section caps: how many items a section shows before it says "… N more". */
export const SECTION_CAPS = {
  mentionsInFull: 3,
  mentionsAsLines: 8,
  claims: 10,
  lostClaims: 5,
  myTasks: 10,
  ready: 5,
  negotiation: 3,
  decisions: 5,
} as const;

const FULL_MENTION_CHARS = 600;
const LINE_CHARS = 160;

/** One line of agent-written text: escaped, whitespace collapsed, capped, in quotes. */
export function quotedLine(text: string, max = LINE_CHARS): string {
  const flat = promptSafe(text).replace(/\s+/g, ' ').trim();
  return `“${flat.length > max ? flat.slice(0, max - 1) + '…' : flat}”`;
}

/** A block of agent-written text: escaped, every line behind `    > `, capped. */
export function quotedBlock(text: string, max = FULL_MENTION_CHARS): string[] {
  let safe = promptSafe(text).trim();
  let cut = 0;
  if (safe.length > max) {
    cut = safe.length - max;
    safe = safe.slice(0, max);
  }
  const lines = safe.split('\n').map((l) => `    > ${l}`);
  if (cut > 0) lines.push(`    > … (${cut} more characters)`);
  return lines;
}

const hhmm = (iso: string) => (iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso);

interface Section {
  title: string;
  /** Each entry is one item: it is shown whole or not at all. */
  items: string[][];
  /** Items the section's cap left out before the budget. */
  capped: number;
  more: string;
}

function lineItems(lines: DigestLine[], cap: number): { items: string[][]; capped: number } {
  const shown = lines.slice(0, cap).map((l) => [`  - ${l.text}${l.command ? `: \`${l.command}\`` : ''}`]);
  return { items: shown, capped: Math.max(0, lines.length - cap) };
}

function sections(data: DigestData): Section[] {
  const out: Section[] = [];
  if (data.negotiation.length > 0) {
    out.push({ title: 'Negotiation waiting for you', ...lineItems(data.negotiation, SECTION_CAPS.negotiation), more: 'mycelium negotiate status' });
  }
  const { items: mentions, unread, scan_limited } = data.mentions;
  if (mentions.length > 0) {
    const full = mentions.slice(0, SECTION_CAPS.mentionsInFull).map((m) => [
      `  - ${hhmm(m.at)} @${m.from} (${m.kind}, id ${m.id}):`,
      ...quotedBlock(m.text),
    ]);
    const older = mentions.slice(SECTION_CAPS.mentionsInFull, SECTION_CAPS.mentionsInFull + SECTION_CAPS.mentionsAsLines)
      .map((m) => [`  - ${hhmm(m.at)} @${m.from}: ${quotedLine(m.text, 100)}`]);
    const title = `Unread messages for you (${unread}${scan_limited ? `, only the newest ${mentions.length} read` : ''})`;
    out.push({ title, items: [...full, ...older], capped: Math.max(0, unread - full.length - older.length), more: 'mycelium inbox' });
  }
  if (data.claims.length > 0) out.push({ title: 'Your claims', ...lineItems(data.claims, SECTION_CAPS.claims), more: 'mycelium claims' });
  if (data.lost_claims.length > 0) out.push({ title: 'Claims you lost', ...lineItems(data.lost_claims, SECTION_CAPS.lostClaims), more: 'mycelium claims' });
  if (data.my_tasks.length > 0) out.push({ title: 'Your open tasks', ...lineItems(data.my_tasks, SECTION_CAPS.myTasks), more: 'mycelium plan tasks' });
  if (data.ready.length > 0) out.push({ title: 'Ready tasks you could take', ...lineItems(data.ready, SECTION_CAPS.ready), more: 'mycelium plan ready' });
  if (data.decisions.length > 0) {
    const lines = data.decisions.slice(0, SECTION_CAPS.decisions).map((d) => [
      `  - ${d.key} (v${d.version}${d.updated_by ? ` by @${d.updated_by}` : ''}${d.updated_at ? `, ${hhmm(d.updated_at)}` : ''}): ${quotedLine(d.first_line, 120)}`,
    ]);
    out.push({ title: 'Decisions changed', items: lines, capped: Math.max(0, data.decisions.length - lines.length), more: 'mycelium memory ls decisions/' });
  }
  return out;
}

export function renderDigest(data: DigestData, options: { maxChars: number; delta: boolean }): string {
  const planPart = data.plan_title ? `, plan ${quotedLine(data.plan_title, 80)}` : '';
  const header = `# mycelium digest for @${data.handle} in room "${data.room}"${planPart}${options.delta ? ' (changes since your last digest)' : ''}`;
  const footer = `(as of ${data.as_of.slice(11, 16)} UTC; \`mycelium digest\` shows it all again)`;
  const parts = sections(data);
  if (parts.length === 0) return `${header}\nNothing waiting for you: no unread messages, claims, tasks or negotiation.\n${footer}\n`;
  const out: string[] = [header];
  let used = header.length + footer.length + 2;
  const NOTE_RESERVE = 90; // room for one "… cut" line per section
  for (const section of parts) {
    const title = `## ${section.title}`;
    if (used + title.length + 1 + NOTE_RESERVE > options.maxChars) {
      const note = `## ${section.title}: cut for length; \`${section.more}\``;
      if (used + note.length + 1 <= options.maxChars) {
        out.push(note);
        used += note.length + 1;
      }
      continue;
    }
    out.push(title);
    used += title.length + 1;
    let shown = 0;
    let cutChars = 0;
    for (const item of section.items) {
      const size = item.reduce((n, l) => n + l.length + 1, 0);
      if (cutChars === 0 && used + size + NOTE_RESERVE <= options.maxChars) {
        out.push(...item);
        used += size;
        shown++;
      } else cutChars += size;
    }
    const left = section.items.length - shown + section.capped;
    if (left > 0) {
      const note = `  … ${left} more not shown${cutChars > 0 ? ` (${cutChars} characters cut)` : ''}: \`${section.more}\``;
      out.push(note);
      used += note.length + 1;
    }
  }
  out.push(footer);
  const text = out.join('\n') + '\n';
  return text.length <= options.maxChars ? text : text.slice(0, options.maxChars - 2) + '…\n';
}
