import { escapeHtml, keyPath, roomPath } from './html.js';

interface Folder {
  folders: Map<string, Folder>;
  leaves: string[];
  count: number;
}

/** The memory keys as folders, the way they sit in the room; folders open when the room is small. */
export function renderTree(room: string, keys: string[]): string {
  const root: Folder = { folders: new Map(), leaves: [], count: 0 };
  for (const key of keys) {
    const parts = key.split('/');
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
  const open = keys.length <= 200;
  const base = `${roomPath(room)}/memory/`;
  const render = (folder: Folder): string => {
    const out: string[] = [];
    for (const name of [...folder.folders.keys()].sort()) {
      const sub = folder.folders.get(name)!;
      out.push(
        `<li><details${open ? ' open' : ''}><summary>${escapeHtml(name)}/ <span class="muted">${sub.count}</span></summary><ul>${render(sub)}</ul></details></li>`,
      );
    }
    for (const key of folder.leaves.sort()) {
      const leaf = key.slice(key.lastIndexOf('/') + 1);
      out.push(`<li><a href="${base}${keyPath(key)}">${escapeHtml(leaf)}</a></li>`);
    }
    return out.join('');
  };
  return `<ul class="tree">${render(root)}</ul>`;
}
