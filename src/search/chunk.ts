/**
 * Markdown-aware chunking: a long memory is cut at headings first, then at blank lines, then (for a
 * paragraph longer than a chunk) into windows; chunks cut inside a section share a small overlap.
 * Each chunk gets its own vector; the parameters are part of the embedding fingerprint.
 */
export interface ChunkingParameters {
  /** Target largest chunk, in characters. */
  target: number;
  /** Characters repeated at the start of a chunk cut inside a section. */
  overlap: number;
}

export const DEFAULT_CHUNKING: ChunkingParameters = { target: 1000, overlap: 100 };

export interface Chunk {
  /** The chunk as it appears in the body (what a snippet shows). */
  text: string;
  /** The headings above the chunk, outermost first ("Setup > Install"); '' when none. */
  heading: string;
  /** What is embedded: the heading trail (when the chunk does not start with it) and the text. */
  embedText: string;
}

interface Section {
  trail: string[];
  lines: string[];
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE = /^\s*(```|~~~)/;

/** The headings of a markdown body, outside code fences, in order. */
export function headings(body: string): string[] {
  return sections(body)
    .map((s) => s.trail[s.trail.length - 1])
    .filter((h): h is string => h !== undefined && h.length > 0);
}

function sections(body: string): Section[] {
  const out: Section[] = [{ trail: [], lines: [] }];
  const trail: string[] = [];
  let inFence = false;
  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence;
    const match = inFence ? null : HEADING.exec(line);
    if (match) {
      const level = match[1].length;
      trail.length = Math.min(trail.length, level - 1);
      while (trail.length < level - 1) trail.push('');
      trail.push(match[2]);
      out.push({ trail: trail.filter((t) => t.length > 0), lines: [line] });
    } else {
      out[out.length - 1].lines.push(line);
    }
  }
  return out.filter((s) => s.lines.some((l) => l.trim().length > 0));
}

/** Cuts a markdown body into chunks of about `target` characters. An empty body has no chunks. */
export function chunkMarkdown(body: string, params: ChunkingParameters = DEFAULT_CHUNKING): Chunk[] {
  const chunks: Chunk[] = [];
  let pending: { text: string; trail: string[] } | null = null;
  const flush = () => {
    if (pending) chunks.push(makeChunk(pending.text, pending.trail));
    pending = null;
  };
  for (const section of sections(body)) {
    const text = section.lines.join('\n').trim();
    if (text.length <= params.target) {
      // Small neighbouring sections share a chunk: short notes stay one vector.
      if (pending && pending.text.length + 2 + text.length <= params.target) pending.text += '\n\n' + text;
      else {
        flush();
        pending = { text, trail: section.trail };
      }
      continue;
    }
    flush();
    for (const piece of splitLong(text, params)) chunks.push(makeChunk(piece, section.trail));
  }
  flush();
  return chunks;
}

function makeChunk(text: string, trail: string[]): Chunk {
  const heading = trail.join(' > ');
  const startsWithHeading = HEADING.test(text.split('\n', 1)[0]);
  return { text, heading, embedText: heading && !startsWithHeading ? `${heading}\n${text}` : text };
}

/** Packs paragraphs into chunks; a paragraph longer than a chunk becomes overlapping windows. */
function splitLong(text: string, params: ChunkingParameters): string[] {
  const pieces: string[] = [];
  let current = '';
  const push = () => {
    if (current.trim().length > 0) pieces.push(current.trim());
    current = '';
  };
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    if (paragraph.length > params.target) {
      push();
      pieces.push(...windows(paragraph, params));
      continue;
    }
    if (current.length + 2 + paragraph.length > params.target) {
      const tail = overlapTail(current, params.overlap);
      push();
      current = tail;
    }
    current = current ? `${current}\n\n${paragraph}` : paragraph;
  }
  push();
  return pieces;
}

function windows(text: string, params: ChunkingParameters): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + params.target);
    // End at a space when one is near, so words are not cut in half.
    const space = text.lastIndexOf(' ', end);
    if (end < text.length && space > start + params.target / 2) end = space;
    out.push(text.slice(start, end).trim());
    if (end >= text.length) break;
    start = Math.max(end - params.overlap, start + 1);
  }
  return out.filter((w) => w.length > 0);
}

function overlapTail(text: string, overlap: number): string {
  if (overlap <= 0 || text.length <= overlap) return '';
  const tail = text.slice(-overlap);
  const space = tail.indexOf(' ');
  return space >= 0 ? tail.slice(space + 1) : tail;
}
