import { escapeHtml, keyPath, roomPath } from './html.js';

interface Folder {
  folders: Map<string, Folder>;
  leaves: string[];
  count: number;
}

/** Up to this many memories the whole tree is on the page; a bigger room shows one folder level at a time. */
export const FULL_TREE_LIMIT = 1000;
/** Files listed directly in one folder before "and N more". */
const LEAVES_SHOWN = 1000;

/**
 * The memory keys under `under` (a folder prefix ending in '/', or '') as folders, the way they sit
 * in the room. A small room opens every folder; a big one links each folder to its own view, so the
 * page stays light (and renders in time) for rooms of any size.
 */
export function renderTree(room: string, keys: string[], under = ''): string {
  const root: Folder = { folders: new Map(), leaves: [], count: 0 };
  for (const key of keys) {
    if (!key.startsWith(under)) continue;
    const parts = key.slice(under.length).split('/');
    let folder = root;
    folder.count++;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) folder.folders.set(part, (next = { folders: new Map(), leaves: [], count: 0 }));
      next.count++;
      folder = next;
    }
    folder.leaves.push(key);
  }
  const full = root.count <= FULL_TREE_LIMIT;
  const open = root.count <= 200;
  const base = roomPath(room);
  const render = (folder: Folder, path: string): string => {
    const out: string[] = [];
    for (const name of [...folder.folders.keys()].sort()) {
      const sub = folder.folders.get(name)!;
      const count = `<span class="muted">${sub.count}</span>`;
      if (full) {
        out.push(`<li><details${open ? ' open' : ''}><summary>${escapeHtml(name)}/ ${count}</summary><ul>${render(sub, `${path}${name}/`)}</ul></details></li>`);
      } else {
        out.push(`<li><a href="${base}?under=${encodeURIComponent(`${path}${name}/`)}">${escapeHtml(name)}/</a> ${count}</li>`);
      }
    }
    const leaves = folder.leaves.sort();
    for (const key of leaves.slice(0, LEAVES_SHOWN)) {
      out.push(`<li><a href="${base}/memory/${keyPath(key)}">${escapeHtml(key.slice(key.lastIndexOf('/') + 1))}</a></li>`);
    }
    if (leaves.length > LEAVES_SHOWN) out.push(`<li class="muted">… and ${leaves.length - LEAVES_SHOWN} more; search to find them</li>`);
    return out.join('');
  };
  const up =
    under === ''
      ? ''
      : `<p><a href="${base}${under.slice(0, -1).includes('/') ? `?under=${encodeURIComponent(under.slice(0, under.slice(0, -1).lastIndexOf('/') + 1))}` : ''}">↑ up</a> <span class="muted">${escapeHtml(under)}</span></p>`;
  return `${up}<ul class="tree">${render(root, under)}</ul>`;
}
