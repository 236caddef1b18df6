import type { Message } from '../../coord/messages/format.js';
import type { LoggedEvent } from '../../events/change-event.js';
import type { Memory } from '../../room.js';
import type { RoomSummary } from '../../rooms.js';
import type { SearchResponse } from '../../search/types.js';
import { escapeHtml, keyPath, roomPath, shortTime } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderTree } from './tree.js';
import { type CoordState, agentsList, claimsTable, planBoard } from './views-coord.js';
import { negotiationsList } from './views-negotiate.js';

/** What to say in a page's breadcrumbs for a room. */
export function roomCrumbs(room: string, extra = ''): string {
  return `/ <a href="${roomPath(room)}">${escapeHtml(room)}</a>${extra ? ` / ${extra}` : ''}`;
}

export function roomsView(rooms: (Pick<RoomSummary, 'name' | 'memories' | 'last_change'> & { online: number })[]): string {
  const rows = rooms
    .map(
      ({ name, memories, online, last_change }) =>
        `<tr><td><a href="${roomPath(name)}">${escapeHtml(name)}</a></td><td>${memories}</td><td>${online}</td><td>${shortTime(last_change)}</td></tr>`,
    )
    .join('');
  const empty = rooms.length === 0 ? '<p class="muted">No rooms yet: <code>mycelium room create NAME</code>.</p>' : '';
  return `<h1>Rooms</h1><div class="card"><table><thead><tr><th>Room</th><th>Memories</th><th>Agents online</th><th>Last change</th></tr></thead><tbody>${rows}</tbody></table>${empty}</div>`;
}

export interface RoomViewData {
  room: string;
  keys: string[];
  /** The folder the tree shows ('' for the whole room). */
  under: string;
  /** Plan, claims, negotiations and agents, as their libraries read them. */
  coord: CoordState;
  now: Date;
  messages: Message[];
  events: LoggedEvent[];
  /** The event log position the page was rendered at: the live feed continues from there. */
  since: number;
  operator: string;
}

export function roomView(data: RoomViewData): string {
  const { room } = data;
  const base = roomPath(room);
  const search = searchForm(room, '', 'hybrid');
  const feedItems = data.events.map((e) => feedItem(room, e)).join('');
  const feed = `<div class="card"><h2>Activity <span id="feed-status" class="status">connecting…</span></h2>
<ul id="feed" class="feed" data-room="${escapeHtml(room)}" data-since="${data.since}">${feedItems || '<li class="empty muted">No changes yet.</li>'}</ul></div>`;
  const messages = `<div class="card"><h2><a href="${base}/messages">Messages</a></h2>${messageList(data.messages.slice().reverse())}${sendForm(room, data.operator)}</div>`;
  return `<h1>${escapeHtml(room)}</h1>
<div class="grid">
<section class="card"><h2>Memories <span class="muted">${data.keys.length}${data.under ? ` in ${escapeHtml(data.under)}` : ''}</span></h2>${renderTree(room, data.keys, data.under)}</section>
<section>${search}${feed}</section>
<section>${agentsList(data.coord.agents)}${messages}</section>
</div>
<nav class="card inline pages"><a href="${base}/plan">Plan</a><a href="${base}/claims">Claims</a><a href="${base}/negotiations">Negotiations</a><a href="${base}/messages">Messages</a><a href="${base}/synthesis">Synthesis &amp; digest</a><a href="${base}/digest">Agents' digests</a></nav>
${planBoard(room, data.coord.plan, base)}
<div class="grid two">${claimsTable(room, data.coord.claims, data.now, base, data.operator)}${negotiationsList(room, data.coord.sessions, { operator: data.operator, here: base })}</div>`;
}

export function feedItem(room: string, e: LoggedEvent): string {
  const top = e.key.split('/')[0];
  const kinds: Record<string, string> = { messages: 'message', plan: 'plan', claims: 'claim', sessions: 'negotiation', synthesis: 'synthesis', agents: 'agent' };
  const key =
    e.type === 'deleted' ? escapeHtml(e.key) : `<a href="${roomPath(room)}/memory/${keyPath(e.key)}">${escapeHtml(e.key)}</a>`;
  const by = e.by ? ` by ${escapeHtml(e.by)}` : '';
  return `<li><span class="kind">${kinds[top] ?? 'memory'}</span><span>${escapeHtml(e.type)} </span>${key}<span class="muted">${by}${e.version ? ` · v${e.version}` : ''} · ${escapeHtml(e.at.replace('T', ' ').slice(0, 19))}</span></li>`;
}

export function searchForm(room: string, query: string, mode: string): string {
  const option = (m: string) => `<option value="${m}"${m === mode ? ' selected' : ''}>${m}</option>`;
  return `<form class="card inline" method="get" action="${roomPath(room)}/search" role="search">
<input type="search" name="q" value="${escapeHtml(query)}" placeholder="Search this room" aria-label="Search">
<select name="mode" aria-label="Mode">${['hybrid', 'bm25', 'vector'].map(option).join('')}</select><button type="submit">Search</button></form>`;
}

export function searchView(room: string, query: string, asked: string, response: SearchResponse | undefined): string {
  let results = '';
  if (response) {
    const reason = response.reason ? ` <span class="warn">(${escapeHtml(response.reason)})</span>` : '';
    const items = response.results
      .map(
        (r) =>
          `<li><a href="${roomPath(room)}/memory/${keyPath(r.key)}">${escapeHtml(r.key)}</a> <span class="score">${r.score.toFixed(3)}</span> ${r.tags.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join('')}
<div class="snippet">${escapeHtml(r.snippet)}</div><div class="muted">line ${r.line} · v${r.version}${r.updated_by ? ` by ${escapeHtml(r.updated_by)}` : ''} · ${shortTime(r.updated_at)}</div></li>`,
      )
      .join('');
    results = `<div class="card"><p>Mode <span class="mode">${escapeHtml(response.mode)}</span>${reason} · ${response.results.length} results</p><ol class="results">${items}</ol></div>`;
  }
  return `<h1>Search ${escapeHtml(room)}</h1>${searchForm(room, query, asked)}${results}`;
}

export function memoryView(memory: Memory): string {
  const row = (name: string, value: string) => `<tr><td>${escapeHtml(name)}</td><td>${value}</td></tr>`;
  const rows = [
    row('version', String(memory.version)),
    row('created', `${shortTime(memory.created_at)}${memory.created_by ? ` by ${escapeHtml(memory.created_by)}` : ''}`),
    row('updated', `${shortTime(memory.updated_at)}${memory.updated_by ? ` by ${escapeHtml(memory.updated_by)}` : ''}`),
    row('tags', memory.tags.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join('') || '—'),
    row('format', escapeHtml(memory.format)),
    ...Object.entries(memory.extra).map(([name, value]) => row(name, escapeHtml(typeof value === 'string' ? value : JSON.stringify(value)))),
  ].join('');
  const body =
    memory.format === 'json'
      ? `<pre class="raw">${escapeHtml(JSON.stringify(memory.value, null, 2))}</pre>`
      : `<div class="markdown">${renderMarkdown(typeof memory.value === 'string' ? memory.value : String(memory.value))}</div>`;
  const warnings = memory.warnings.map((w) => `<p class="warn">${escapeHtml(w)}</p>`).join('');
  const raw = `${roomPath(memory.room)}/raw/${keyPath(memory.key)}`;
  return `<h1>${escapeHtml(memory.key)}</h1>${warnings}<div class="card"><table class="meta">${rows}</table><p><a href="${raw}">Raw file</a></p></div><article class="card">${body}</article>`;
}

export function messageList(messages: Message[]): string {
  if (messages.length === 0) return '<p class="muted">No messages yet.</p>';
  return `<ul class="messages">${messages
    .map(
      (m) =>
        `<li><strong>${escapeHtml(m.from)}</strong> <span class="kind">${escapeHtml(m.kind)}</span>${m.to.length ? ` <span class="muted">to ${m.to.map(escapeHtml).join(', ')}</span>` : ''} <span class="muted">${shortTime(m.created_at)}</span><div class="text">${escapeHtml(m.text)}</div></li>`,
    )
    .join('')}</ul>`;
}

export function sendForm(room: string, operator: string, error = ''): string {
  return `<form method="post" action="${roomPath(room)}/messages" class="send">${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<label class="muted" for="message-text">Send as ${escapeHtml(operator)}</label>
<textarea id="message-text" name="text" required></textarea>
<div class="inline"><input type="text" name="to" placeholder="to (handles, optional)" aria-label="To"><button type="submit">Send</button></div></form>`;
}

/** The messages page: the send form, then one page of messages (newest on top) with links to older ones and back to the newest. */
export function messagesView(room: string, messages: Message[], operator: string, error = '', pages: { older?: string; newest?: boolean } = {}): string {
  const base = `${roomPath(room)}/messages`;
  const links = [pages.newest ? `<a href="${base}" rel="first">Newest</a>` : '', pages.older ? `<a href="${base}?before=${encodeURIComponent(pages.older)}" rel="next">Older</a>` : '']
    .filter(Boolean)
    .join(' ');
  const nav = links ? `<nav class="inline pages">${links}</nav>` : '';
  return `<h1>Messages in ${escapeHtml(room)}</h1><div class="card">${sendForm(room, operator, error)}</div><div class="card">${messageList(messages.slice().reverse())}${nav}</div>`;
}
