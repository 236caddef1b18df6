/**
 * The coordination parts of the web page (issue 16): the plan as a board, live claims, negotiations,
 * agents with presence, and the synthesis/digest page. Every value here was written by an agent and
 * is escaped; actions are plain same-origin forms (no script needed).
 */
import type { AgentCard } from '../../coord/agents.js';
import type { Claim } from '../../coord/claims/store.js';
import type { SessionStatus } from '../../coord/negotiation/status.js';
import type { Plan, Task } from '../../coord/plan/store.js';
import type { Catchup } from '../../coord/synthesis/catchup.js';
import type { SynthesisJob } from './jobs.js';
import { escapeHtml, keyPath, roomPath, shortTime } from './html.js';
import { renderMarkdown } from './markdown.js';

/** The board's columns, in the order work moves; stalled tasks sit with the claimed ones, dropped with done. */
const COLUMNS: { title: string; statuses: Task['status'][] }[] = [
  { title: 'Ready', statuses: ['ready'] },
  { title: 'Claimed', statuses: ['claimed', 'stalled'] },
  { title: 'Blocked', statuses: ['blocked'] },
  { title: 'Done', statuses: ['done', 'dropped'] },
];

/** Done tasks shown on the board; the plan page shows them all. */
const DONE_SHOWN = 10;

/** A hidden field telling an action where to send the person back to (checked on the server). */
function back(path: string): string {
  return `<input type="hidden" name="back" value="${escapeHtml(path)}">`;
}

function handleTag(handle: string | null): string {
  return handle ? `<span class="owner">@${escapeHtml(handle)}</span>` : '';
}

function taskCard(room: string, task: Task, here: string): string {
  const needs = task.needs.length
    ? `<div class="muted">needs ${task.needs.map((id) => `<span class="${task.waiting.includes(id) || task.missing.includes(id) ? 'warn' : ''}">${escapeHtml(id)}</span>`).join(', ')}</div>`
    : '';
  const stalled = task.status === 'stalled' ? ' <span class="warn">stalled</span>' : '';
  const closed = task.closed_by ? ` <span class="muted">${escapeHtml(task.state)} by @${escapeHtml(task.closed_by)}</span>` : '';
  const tick =
    task.state === 'open'
      ? `<form method="post" action="${roomPath(room)}/plan/done" class="tick">${back(here)}<input type="hidden" name="id" value="${escapeHtml(task.id)}"><button type="submit" class="small" title="Mark ${escapeHtml(task.id)} done">Done</button></form>`
      : '';
  return `<li class="task" data-id="${escapeHtml(task.id)}" data-status="${escapeHtml(task.status)}"><div class="task-head"><code>${escapeHtml(task.id)}</code> ${handleTag(task.owner)}${stalled}${closed}${tick}</div><div class="task-text">${escapeHtml(task.text)}</div>${needs}${task.state === 'open' ? taskActions(room, task, here) : ''}</li>`;
}

/**
 * An open task's other actions: claim it (as the operator; offered while it has no owner or its
 * owner stalled), drop it, assign it, edit its text. Behind a disclosure, so the board stays a board; the
 * live refresh leaves a board alone while one is open (app.js), so typing is never swept away.
 */
function taskActions(room: string, task: Task, here: string): string {
  const base = roomPath(room);
  const id = `<input type="hidden" name="id" value="${escapeHtml(task.id)}">`;
  const claimable = task.owner === null || task.status === 'stalled';
  const claim = claimable
    ? `<form method="post" action="${base}/plan/claim" class="tick">${back(here)}${id}<button type="submit" class="small" title="Claim ${escapeHtml(task.id)}">Claim</button></form>`
    : '';
  const drop = `<form method="post" action="${base}/plan/drop" class="tick">${back(here)}${id}<button type="submit" class="small quiet" title="Drop ${escapeHtml(task.id)}">Drop</button></form>`;
  return `<details class="task-edit"><summary>Edit</summary>${claim}${drop}<form method="post" action="${base}/plan/assign" class="inline assign">${back(here)}${id}<input type="text" name="owner" required placeholder="handle" aria-label="Owner of ${escapeHtml(task.id)}" value="${escapeHtml(task.owner ?? '')}"><button type="submit" class="small">Assign</button></form><form method="post" action="${base}/plan/edit" class="inline edit">${back(here)}${id}<input type="text" name="text" required aria-label="Text of ${escapeHtml(task.id)}" value="${escapeHtml(task.text)}"><button type="submit" class="small">Save text</button></form></details>`;
}

/** The plan as a board: ready / claimed / blocked / done, each task with owner and dependencies, and the add form. */
export function planBoard(room: string, plan: Plan, here: string, options: { allDone?: boolean } = {}): string {
  const columns = COLUMNS.map(({ title, statuses }) => {
    let tasks = plan.tasks.filter((t) => statuses.includes(t.status));
    const hidden = title === 'Done' && !options.allDone && tasks.length > DONE_SHOWN ? tasks.length - DONE_SHOWN : 0;
    if (hidden) tasks = tasks.slice(-DONE_SHOWN);
    const more = hidden ? `<li class="muted"><a href="${roomPath(room)}/plan">${hidden} more</a></li>` : '';
    return `<div class="column"><h3>${title} <span class="muted">${plan.tasks.filter((t) => statuses.includes(t.status)).length}</span></h3><ul class="tasks">${tasks.map((t) => taskCard(room, t, here)).join('') || '<li class="muted empty">—</li>'}${more}</ul></div>`;
  }).join('');
  const warnings = plan.warnings.map((w) => `<p class="warn">${escapeHtml(w)}</p>`).join('');
  const add = `<form method="post" action="${roomPath(room)}/plan/tasks" class="inline add-task">${back(here)}
<input type="text" name="text" required placeholder="New task" aria-label="New task"><input type="text" name="needs" placeholder="needs (task ids, optional)" aria-label="Needs"><button type="submit">Add task</button></form>`;
  return `<div class="card"><h2><a href="${roomPath(room)}/plan">Plan</a> <span class="muted">v${plan.version}</span></h2>${warnings}<div class="board" id="plan-board" data-live>${columns}</div>${add}</div>`;
}

/** "12 min left", "2 h 5 min left", or "expired". */
export function timeLeft(expiresAt: string, now: Date): string {
  const ms = Date.parse(expiresAt) - now.getTime();
  if (!(ms > 0)) return 'expired';
  const minutes = Math.ceil(ms / 60_000);
  return minutes < 60 ? `${minutes} min left` : `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

export interface ClaimRow {
  claim: Claim;
  stale: boolean;
}

/** The coordination state a page shows, each part read through its library. */
export interface CoordState {
  plan: Plan;
  claims: ClaimRow[];
  sessions: SessionStatus[];
  agents: { card: AgentCard; online: boolean }[];
}

/** Live claims (and expired ones still on file) with holder, paths and time left; stale ones get a release button, the operator's own a handoff form. */
export function claimsTable(room: string, rows: ClaimRow[], now: Date, here: string, operator: string): string {
  if (rows.length === 0) return `<div class="card" id="claims-card" data-live><h2><a href="${roomPath(room)}/claims">Claims</a></h2><p class="muted">No claims.</p></div>`;
  const body = rows
    .map(({ claim: c, stale }) => {
      const release = stale
        ? `<form method="post" action="${roomPath(room)}/claims/release" class="tick">${back(here)}<input type="hidden" name="id" value="${escapeHtml(c.id)}"><button type="submit" class="small" title="Release stale claim ${escapeHtml(c.id)}">Release</button></form>`
        : '';
      // The operator's own claims can be handed on (`claim handoff`); the epoch shown makes a stale page's handoff refused.
      const handoff =
        c.holder === operator
          ? `<details class="task-edit"><summary>Hand off</summary><form method="post" action="${roomPath(room)}/claims/handoff" class="inline">${back(here)}<input type="hidden" name="id" value="${escapeHtml(c.id)}"><input type="hidden" name="epoch" value="${c.epoch}"><input type="text" name="to" required placeholder="handle" aria-label="Hand ${escapeHtml(c.id)} to"><button type="submit" class="small">Hand off</button></form></details>`
          : '';
      const clash = c.clash ? `<div class="warn">lost to ${escapeHtml(c.clash.claim)} (@${escapeHtml(c.clash.holder)})</div>` : '';
      return `<tr data-claim="${escapeHtml(c.id)}"><td>${handleTag(c.holder)}${stale ? ' <span class="warn">stale</span>' : ''}</td><td>${c.paths.map((p) => `<code>${escapeHtml(p)}</code>`).join(' ')}${c.task ? ` <span class="muted">for ${escapeHtml(c.task)}</span>` : ''}${clash}</td><td>${escapeHtml(timeLeft(c.expires_at, now))}<div class="muted">epoch ${c.epoch}</div></td><td>${release}${handoff}</td></tr>`;
    })
    .join('');
  return `<div class="card" id="claims-card" data-live><h2><a href="${roomPath(room)}/claims">Claims</a> <span class="muted">${rows.length}</span></h2><table class="claims"><thead><tr><th>Holder</th><th>Paths</th><th>Time left</th><th></th></tr></thead><tbody>${body}</tbody></table></div>`;
}

/** Agents with presence (online within the presence window), role and last seen. */
export function agentsList(agents: { card: AgentCard; online: boolean }[]): string {
  const items = agents
    .map(
      ({ card, online }) =>
        `<li><strong>${escapeHtml(card.handle)}</strong> <span class="${online ? 'online' : 'muted'}">${online ? '● online' : '○ away'}</span>${card.role ? ` <span class="tag">${escapeHtml(card.role)}</span>` : ''}${card.description ? `<div>${escapeHtml(card.description)}</div>` : ''}<div class="muted">last seen ${shortTime(card.last_seen)}</div></li>`,
    )
    .join('');
  return `<div class="card" id="agents-card" data-live><h2>Agents <span class="muted">${agents.filter((a) => a.online).length} online</span></h2>${items ? `<ul class="messages">${items}</ul>` : '<p class="muted">No agents have registered.</p>'}</div>`;
}

/** The synthesis page: the newest synthesis (rendered, sanitized), what changed since, the operator's digest, and the button to write one now. */
export function synthesisView(room: string, state: Catchup, digest: { handle: string; text: string }, error = '', job?: SynthesisJob): string {
  const s = state.synthesis;
  const head = s
    ? `<p class="muted"><a href="${roomPath(room)}/memory/${keyPath(s.key)}">${escapeHtml(s.key)}</a> · ${s.memory_count} memories · ${escapeHtml(s.method)}${s.provider ? ` (${escapeHtml(s.provider)})` : ''}${s.by ? ` by ${escapeHtml(s.by)}` : ''} · up to ${shortTime(s.until)}</p>`
    : '<p class="muted">No synthesis yet.</p>';
  const text = s ? `<div class="markdown">${renderMarkdown(s.text)}</div>` : '';
  const changes = state.changes
    .map((c) => `<li><a href="${roomPath(room)}/memory/${keyPath(c.key)}">${escapeHtml(c.key)}</a> <span class="muted">${c.by ? `by ${escapeHtml(c.by)} · ` : ''}${shortTime(c.at)}</span><div class="snippet">${escapeHtml(c.first_line)}</div></li>`)
    .join('');
  const since = `<div class="card" id="changes-card" data-live><h2>Changed since <span class="muted">${state.count}</span></h2>${changes ? `<ul class="messages">${changes}</ul>` : '<p class="muted">Nothing.</p>'}</div>`;
  const write = `<form method="post" action="${roomPath(room)}/synthesis" class="inline">${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}<button type="submit"${job?.state === 'running' ? ' disabled' : ''}>Write a synthesis now</button></form>`;
  const digestCard = `<div class="card"><h2>Digest for @${escapeHtml(digest.handle)}</h2><pre class="raw">${escapeHtml(digest.text || 'Nothing for you.')}</pre></div>`;
  return `<h1>Synthesis of ${escapeHtml(room)}</h1><div class="grid two"><section>${job ? jobCard(room, job) : ''}<div class="card" id="synthesis-card" data-live><h2>Newest synthesis</h2>${head}${text}${write}</div></section><section>${since}${digestCard}</section></div>`;
}

/**
 * A synthesis job started from the page: its step while it runs (app.js polls `data-job` and swaps
 * the page's live parts when it ends), then what it wrote or why it failed.
 */
function jobCard(room: string, job: SynthesisJob): string {
  const url = `${roomPath(room)}/synthesis/jobs/${encodeURIComponent(job.id)}`;
  const r = job.result;
  const outcome =
    job.state === 'failed'
      ? `<p class="error" role="alert">Failed: ${escapeHtml(job.error ?? '')}</p>`
      : job.state === 'done' && r?.key
        ? `<p>Wrote <a href="${roomPath(room)}/memory/${keyPath(r.key)}">${escapeHtml(r.key)}</a> (${r.memory_count} memories, ${escapeHtml(r.method ?? '')})${r.fallback ? ` <span class="warn">${escapeHtml(r.fallback)}</span>` : ''}</p>`
        : job.state === 'done'
          ? '<p class="muted">Nothing written.</p>'
          : '';
  return `<div class="card job" id="synthesis-job" data-live data-state="${job.state}" data-job="${escapeHtml(url)}"><h2>Synthesis started ${shortTime(job.started_at)}</h2><p><span class="kind">${job.state}</span> <span id="job-step">${escapeHtml(job.step)}</span></p>${outcome}</div>`;
}

/** One handle's digest as it would get it now (a peek), with links to every registered agent's. */
export function digestView(room: string, handle: string, agents: string[], text: string): string {
  const base = `${roomPath(room)}/digest`;
  const links = agents.map((h) => `<a href="${base}?handle=${encodeURIComponent(h)}"${h === handle ? ' aria-current="page"' : ''}>@${escapeHtml(h)}</a>`).join(' ');
  const pick = `<form method="get" action="${base}" class="inline"><input type="text" name="handle" required placeholder="handle" aria-label="Handle" value="${escapeHtml(handle)}"><button type="submit">Show digest</button></form>`;
  return `<h1>Digest for @${escapeHtml(handle)}</h1><div class="card"><p class="muted">What this agent's next digest would show; viewing it here does not mark anything as seen.</p>${links ? `<p>${links}</p>` : ''}${pick}</div><div class="card"><pre class="raw" id="digest-text">${escapeHtml(text || 'Nothing for this agent.')}</pre></div>`;
}
