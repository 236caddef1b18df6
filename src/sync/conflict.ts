import { parseMemoryFile, serializeMemoryFile } from '../codec.js';

/** A handle made safe for a key segment: letters, digits, '_' and '-' only. */
function handleSlug(handle: string): string {
  const slug = handle.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+|-+$/g, '');
  return slug.length > 0 ? slug.slice(0, 40) : 'unknown';
}

/**
 * The key that keeps the local side of a conflict: `decisions/db` edited by ana becomes
 * `decisions/db.conflict-ana-1a2b3c4`, a valid key right next to the original.
 */
export function conflictKey(key: string, handle: string, shortHash: string): string {
  return `${key}.conflict-${handleSlug(handle)}-${shortHash.slice(0, 7)}`;
}

/** The same for a file path in a git room: `a/db.md` → `a/db.conflict-ana-1a2b3c4.md`, `x.json` → `x.conflict-….json`. */
export function conflictPath(path: string, handle: string, shortHash: string): string {
  if (path.endsWith('.md')) return conflictKey(path.slice(0, -3), handle, shortHash) + '.md';
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1) return conflictKey(path, handle, shortHash);
  return conflictKey(path.slice(0, dot), handle, shortHash) + path.slice(dot);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The content of the conflict copy: the local file with `conflict_of: <key>` (and its new key) in the
 * frontmatter. Bytes that are not UTF-8 are copied exactly as they are (decoding them would replace
 * them with U+FFFD and lose the version): such a copy carries no `conflict_of`.
 */
export function conflictCopy(local: string, key: string, siblingKey: string): string;
export function conflictCopy(local: string | Uint8Array, key: string, siblingKey: string): string | Uint8Array;
export function conflictCopy(local: string | Uint8Array, key: string, siblingKey: string): string | Uint8Array {
  let text: string;
  if (typeof local === 'string') text = local;
  else {
    try {
      text = strictUtf8.decode(local);
    } catch {
      return local;
    }
  }
  const parsed = parseMemoryFile(text);
  // Broken or missing frontmatter: the whole file becomes the body, so nothing is lost.
  const meta = parsed.hasFrontmatter ? { ...parsed.meta } : {};
  return serializeMemoryFile({ ...meta, key: siblingKey, conflict_of: key }, parsed.body);
}
