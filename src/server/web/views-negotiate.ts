/**
 * Negotiations on the web page (issue 16): each session's round, standing offer and who has replied,
 * and the operator's part in it: join (the opening position, as `session join` takes it), answer a
 * round (accept / reject / end) and, on the operator's turn, counter with an offer. Every issue key,
 * option, handle and reason was written by an agent and is escaped.
 */
import type { SessionStatus } from '../../coord/negotiation/status.js';
import { escapeHtml, keyPath, roomPath, shortTime } from './html.js';

/** A hidden field telling an action where to send the person back to (checked on the server). */
function back(path: string): string {
  return `<input type="hidden" name="back" value="${escapeHtml(path)}">`;
}

/** The join form: the opening message and the position lines `session join` takes as flags. */
export function joinForm(room: string, operator: string, here: string, session?: SessionStatus): string {
  const hint = session?.issues.length ? session.issues.map((i) => `${i.key}=${i.options.join('>')}`).join('\n') : 'api=rest>graphql';
  const target = session ? ` <code>${escapeHtml(session.session)}</code>` : ' (or start one)';
  return `<details class="negotiate-join"><summary>Join${target} as @${escapeHtml(operator)}</summary><form method="post" action="${roomPath(room)}/negotiate/join" class="send">${back(here)}
<label class="muted">Opening position<textarea name="message" placeholder="what you want and why"></textarea></label>
<label class="muted">Preferences, one per line (ISSUE=best&gt;next&gt;…)<textarea name="prefer" placeholder="${escapeHtml(hint)}"></textarea></label>
<label class="muted">Weights, one per line (ISSUE=2)<textarea name="weight" class="short"></textarea></label>
<label class="muted">Limits, one per line (ISSUE!=OPTION: never accept it)<textarea name="limit" class="short"></textarea></label>
<button type="submit">Join</button></form></details>`;
}

/** The operator's answer to the current round: accept, reject, end, and on its turn a counter-offer. */
function replyForms(room: string, s: SessionStatus, operator: string, here: string): string {
  if (s.state !== 'active' || !s.waiting_for.includes(operator)) return '';
  const base = roomPath(room);
  const answers = ['accept', 'reject', 'end']
    .map((a) => `<button type="submit" name="answer" value="${a}" class="small${a === 'end' ? ' quiet' : ''}">${a[0].toUpperCase()}${a.slice(1)}</button>`)
    .join(' ');
  const respond = `<form method="post" action="${base}/negotiate/respond" class="inline respond">${back(here)}<span class="muted">Your answer, round ${s.round}:</span> ${answers}</form>`;
  if (s.proposer_id !== operator || s.issues.length === 0) return respond;
  const rows = s.issues
    .map(
      (i) =>
        `<label class="muted">${escapeHtml(i.key)} <select name="offer.${escapeHtml(i.key)}">${i.options
          .map((o) => `<option value="${escapeHtml(o)}"${o === i.standing ? ' selected' : ''}>${escapeHtml(o)}</option>`)
          .join('')}</select></label>`,
    )
    .join(' ');
  const propose = `<details class="negotiate-propose"><summary>Counter-offer (your turn)</summary><form method="post" action="${base}/negotiate/propose" class="inline">${back(here)}${rows}<button type="submit" class="small">Propose</button></form></details>`;
  return respond + propose;
}

function sessionItem(room: string, s: SessionStatus, operator: string, here: string): string {
  const offer = s.issues.length
    ? `<table class="offer"><tbody>${s.issues.map((i) => `<tr><td>${escapeHtml(i.key)}</td><td>${i.standing === null ? '<span class="muted">—</span>' : `<strong>${escapeHtml(i.standing)}</strong>`}</td></tr>`).join('')}</tbody></table>`
    : '';
  const outcome =
    s.state === 'concluded'
      ? `<div>${s.broken ? '<span class="warn">broken</span>' : '<span class="online">consensus</span>'}${s.reason ? ` <span class="muted">${escapeHtml(s.reason)}</span>` : ''}${s.plan_file ? ` · <a href="${roomPath(room)}/memory/${keyPath(s.plan_file.replace(/\.md$/, ''))}">plan</a>` : ''}</div>`
      : '';
  const mark = (h: string) => (s.replied.includes(h) ? `✓ @${escapeHtml(h)}` : s.waiting_for.includes(h) ? `… @${escapeHtml(h)}` : `@${escapeHtml(h)}`);
  const people = `<div class="muted">${(s.state === 'joining' ? s.joined : s.participants).map(mark).join(' ')}</div>`;
  const deadline = s.round_deadline ? ` · round ends ${shortTime(s.round_deadline)}` : '';
  const join = s.state === 'joining' && !s.joined.includes(operator) ? joinForm(room, operator, here, s) : '';
  return `<li data-session="${escapeHtml(s.session)}"><div><code>${escapeHtml(s.session)}</code> <span class="kind">${escapeHtml(s.state)}</span> round ${s.round}/${s.n_steps_total}${deadline}</div>${outcome}${offer}${people}${s.prior_round_outcome ? `<div class="muted">${escapeHtml(s.prior_round_outcome)}</div>` : ''}${replyForms(room, s, operator, here)}${join}</li>`;
}

export interface NegotiationsOptions {
  /** Who the page acts as. */
  operator: string;
  /** The page the forms send the person back to. */
  here: string;
  /** Link to older sessions (the negotiations page's paging), already a URL. */
  older?: string;
  /** Link back to the newest sessions. */
  newest?: string;
}

/** Negotiations, newest first: state, round, the standing offer, who has replied and who is awaited, and the operator's part. */
export function negotiationsList(room: string, sessions: SessionStatus[], options: NegotiationsOptions): string {
  const title = `<h2><a href="${roomPath(room)}/negotiations">Negotiations</a>${sessions.length ? ` <span class="muted">${sessions.length}</span>` : ''}</h2>`;
  const items = sessions.map((s) => sessionItem(room, s, options.operator, options.here)).join('');
  const pages = [options.newest ? `<a href="${escapeHtml(options.newest)}" rel="first">Newest</a>` : '', options.older ? `<a href="${escapeHtml(options.older)}" rel="next">Older</a>` : '']
    .filter(Boolean)
    .join(' ');
  const list = items ? `<ul class="messages">${items}</ul>` : '<p class="muted">No negotiations.</p>';
  return `<div class="card" id="negotiations-card" data-live>${title}${list}${pages ? `<nav class="inline pages">${pages}</nav>` : ''}</div>`;
}
