/**
 * A section mycelium owns inside a file a person also writes (AGENTS.md): the text between two
 * marker lines. Adding replaces only that text, removing takes out exactly it, and everything around
 * it stays byte for byte.
 */

export const SECTION_BEGIN = '<!-- mycelium:begin (written by `mycelium adapter add`; `mycelium adapter remove` takes it out) -->';
export const SECTION_END = '<!-- mycelium:end -->';

interface Found {
  start: number;
  end: number;
  body: string;
}

function find(text: string): Found | undefined {
  const start = text.indexOf('<!-- mycelium:begin');
  if (start < 0) return undefined;
  const endAt = text.indexOf(SECTION_END, start);
  if (endAt < 0) return undefined;
  const bodyStart = text.indexOf('\n', start) + 1;
  let end = endAt + SECTION_END.length;
  if (text[end] === '\n') end++;
  return { start, end, body: text.slice(bodyStart, endAt) };
}

/** The body of mycelium's section, or undefined when the file has none. */
export function sectionBody(text: string | undefined): string | undefined {
  return text === undefined ? undefined : find(text)?.body;
}

/** `text` with mycelium's section set to `body` (appended after a blank line when absent). */
export function withSection(text: string | undefined, body: string): string {
  const block = `${SECTION_BEGIN}\n${body.endsWith('\n') ? body : body + '\n'}${SECTION_END}\n`;
  const current = text ?? '';
  const found = find(current);
  if (found) return current.slice(0, found.start) + block + current.slice(found.end);
  if (current.trim() === '') return block;
  return current.replace(/\n*$/, '\n\n') + block;
}

/** `text` without mycelium's section (and the blank line `withSection` put before it). */
export function withoutSection(text: string): string {
  const found = find(text);
  if (!found) return text;
  const before = text.slice(0, found.start);
  const after = text.slice(found.end);
  if (after === '') return before.replace(/\n\n$/, '\n');
  return before + after;
}
