/**
 * One schema per negotiation verb (issue 14), shared by the CLI, HTTP and MCP faces: each takes the
 * verb's raw input (strings as an agent typed them, or JSON fields) and returns it checked, or
 * throws a NegotiationInputError whose message says what to do.
 *
 * Key rule (one place): an issue key or option counts when it matches exactly; otherwise a match
 * ignoring case, '-', '_' and spaces snaps to the real one; anything else is refused with the list
 * of valid ones.
 */
import { NegotiationInputError } from '../../errors.js';
import { validateHandle } from '../handle.js';
import { DEFAULT_JOIN_WINDOW_S, DEFAULT_ROUND_TIMEOUT_S, DEFAULT_ROUNDS, type Issue, type Offer, type ReplyAction } from './format.js';

const MAX_MESSAGE = 4096;
const MAX_OPTIONS = 32;
const MAX_ISSUES = 16;
const NAME = /^[^\s=,>!][^=,>!\n\r\t]{0,63}$/;

const loose = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');

/** Snaps `input` to one of `valid` by the key rule; undefined when nothing matches. */
export function snap(input: string, valid: readonly string[]): string | undefined {
  if (valid.includes(input)) return input;
  const wanted = loose(input);
  return valid.find((v) => loose(v) === wanted);
}

export function snapIssue(input: string, issues: Issue[]): Issue {
  const keys = issues.map((i) => i.key);
  const key = snap(input.trim(), keys);
  if (key === undefined) {
    throw new NegotiationInputError(`'${input}' is not an issue of this session; use one of: ${keys.join(', ')}`, keys, 'invalid_key');
  }
  return issues.find((i) => i.key === key) as Issue;
}

export function snapOption(issue: Issue, input: string): string {
  const value = snap(input.trim(), issue.options);
  if (value === undefined) {
    throw new NegotiationInputError(`'${input}' is not an option of ${issue.key}; use one of: ${issue.options.join(', ')}`, issue.options, 'invalid_value');
  }
  return value;
}

function checkName(text: string, what: string): string {
  const name = text.trim();
  if (!NAME.test(name)) throw new NegotiationInputError(`invalid ${what} '${text}': use 1-64 characters without '=', ',', '>', '!'`);
  return name;
}

function splitPair(text: string, sep: string, flag: string, example: string): [string, string] {
  const at = text.indexOf(sep);
  if (at <= 0 || at === text.length - sep.length) throw new NegotiationInputError(`${flag} '${text}' needs the form ${example}`);
  return [text.slice(0, at), text.slice(at + sep.length)];
}

// ---- session join ----

export interface JoinInput {
  message: string;
  prefer: Record<string, string[]>;
  weight: Record<string, number>;
  limits: Record<string, string[]>;
}

/** `-m`, `--prefer ISSUE=best>next`, `--weight ISSUE=W`, `--limit ISSUE!=OPTION` (each repeatable). */
export function parseJoin(raw: { message?: string; prefer?: string[]; weight?: string[]; limit?: string[] }): JoinInput {
  const message = String(raw.message ?? '');
  if (Buffer.byteLength(message) > MAX_MESSAGE) throw new NegotiationInputError(`the opening position is over ${MAX_MESSAGE} bytes; say it shorter`);
  const prefer: Record<string, string[]> = {};
  for (const text of raw.prefer ?? []) {
    const [issue, ranking] = splitPair(text, '=', '--prefer', 'ISSUE=best>next>...');
    const options = ranking.split('>').map((o) => checkName(o, 'option'));
    if (new Set(options).size !== options.length) throw new NegotiationInputError(`--prefer '${text}' names an option twice`);
    if (options.length > MAX_OPTIONS) throw new NegotiationInputError(`--prefer '${text}' has over ${MAX_OPTIONS} options`);
    prefer[checkName(issue, 'issue')] = options;
  }
  if (Object.keys(prefer).length > MAX_ISSUES) throw new NegotiationInputError(`over ${MAX_ISSUES} issues; negotiate fewer at once`);
  const weight: Record<string, number> = {};
  for (const text of raw.weight ?? []) {
    const [issue, w] = splitPair(text, '=', '--weight', 'ISSUE=2');
    const value = Number(w);
    if (!/^\d+(\.\d+)?$/.test(w.trim()) || !Number.isFinite(value)) throw new NegotiationInputError(`--weight '${text}' needs a number of 0 or more, like api=2`);
    weight[checkName(issue, 'issue')] = value;
  }
  const limits: Record<string, string[]> = {};
  for (const text of raw.limit ?? []) {
    const [issue, option] = splitPair(text, '!=', '--limit', 'ISSUE!=OPTION');
    const key = checkName(issue, 'issue');
    limits[key] = [...new Set([...(limits[key] ?? []), checkName(option, 'option')])];
  }
  return { message, prefer, weight, limits };
}

/** Snaps a join's keys and options to a session's issues (when they are known already). */
export function snapJoin(input: JoinInput, issues: Issue[]): JoinInput {
  const prefer: Record<string, string[]> = {};
  for (const [key, options] of Object.entries(input.prefer)) {
    const issue = snapIssue(key, issues);
    prefer[issue.key] = options.map((o) => snapOption(issue, o));
  }
  const weight: Record<string, number> = {};
  for (const [key, w] of Object.entries(input.weight)) weight[snapIssue(key, issues).key] = w;
  const limits: Record<string, string[]> = {};
  for (const [key, options] of Object.entries(input.limits)) {
    const issue = snapIssue(key, issues);
    limits[issue.key] = options.map((o) => snapOption(issue, o));
  }
  return { message: input.message, prefer, weight, limits };
}

// ---- negotiate open ----

export interface OpenInput {
  issues: Issue[] | null;
  rounds: number;
  joinWindowS: number;
  roundTimeoutS: number;
  participants: string[] | null;
}

/** A duration: whole seconds, optionally with s, m or h (`30s`, `5m`, `300`). */
export function parseDuration(text: string | number | undefined, flag: string, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const match = /^(\d+)\s*(s|m|h)?$/.exec(String(text).trim());
  const seconds = match ? Number(match[1]) * (match[2] === 'm' ? 60 : match[2] === 'h' ? 3600 : 1) : NaN;
  if (!match || seconds < 1) throw new NegotiationInputError(`${flag} '${text}' needs a duration of at least 1 second, like 30s, 5m or 300`);
  return seconds;
}

export function parseOpen(raw: {
  issue?: string[];
  rounds?: string | number;
  joinWindow?: string | number;
  roundTimeout?: string | number;
  participants?: string | string[];
}): OpenInput {
  let issues: Issue[] | null = null;
  if (raw.issue && raw.issue.length > 0) {
    issues = [];
    for (const text of raw.issue) {
      const [key, list] = splitPair(text, '=', '--issue', 'KEY=opt1,opt2,...');
      const options = list.split(',').map((o) => checkName(o, 'option'));
      const name = checkName(key, 'issue');
      if (options.length < 2) throw new NegotiationInputError(`--issue '${text}' needs at least two options, like ${name}=a,b`);
      if (new Set(options).size !== options.length || options.length > MAX_OPTIONS) throw new NegotiationInputError(`--issue '${text}' needs 2-${MAX_OPTIONS} different options`);
      if (issues.some((i) => loose(i.key) === loose(name))) throw new NegotiationInputError(`issue '${name}' is given twice`);
      issues.push({ key: name, options });
    }
    if (issues.length > MAX_ISSUES) throw new NegotiationInputError(`over ${MAX_ISSUES} issues; negotiate fewer at once`);
  }
  const roundsText = String(raw.rounds ?? DEFAULT_ROUNDS);
  if (!/^\d+$/.test(roundsText) || Number(roundsText) < 1 || Number(roundsText) > 1000) {
    throw new NegotiationInputError(`--rounds takes a whole number from 1 to 1000, got '${roundsText}'`);
  }
  const list = Array.isArray(raw.participants) ? raw.participants : raw.participants ? raw.participants.split(',') : [];
  const participants = list.map((h) => h.trim()).filter(Boolean).map(validateHandle);
  if (raw.participants !== undefined && new Set(participants).size < 2) {
    throw new NegotiationInputError('--participants needs at least two different handles: a negotiation needs two parties');
  }
  return {
    issues,
    rounds: Number(roundsText),
    joinWindowS: parseDuration(raw.joinWindow, '--join-window', DEFAULT_JOIN_WINDOW_S),
    roundTimeoutS: parseDuration(raw.roundTimeout, '--round-timeout', DEFAULT_ROUND_TIMEOUT_S),
    participants: participants.length > 0 ? [...new Set(participants)] : null,
  };
}

// ---- negotiate propose / respond ----

/** `ISSUE=VALUE ...` as typed (or an object over HTTP/MCP), before it meets the session's issues. */
export function parseProposal(raw: string[] | Record<string, unknown>): Record<string, string> {
  const pairs: [string, string][] = Array.isArray(raw)
    ? raw.map((text) => splitPair(String(text), '=', 'an offer', 'ISSUE=VALUE'))
    : Object.entries(raw).map(([k, v]) => {
        if (typeof v !== 'string') throw new NegotiationInputError(`the value of '${k}' must be a string option`);
        return [k, v];
      });
  if (pairs.length === 0) throw new NegotiationInputError('an offer needs at least one ISSUE=VALUE');
  return Object.fromEntries(pairs);
}

/** Snaps a (partial) proposal and fills what it leaves out from the standing offer. */
export function completeOffer(proposal: Record<string, string>, issues: Issue[], standing: Offer): Offer {
  const offer: Offer = { ...standing };
  for (const [key, value] of Object.entries(proposal)) {
    const issue = snapIssue(key, issues);
    offer[issue.key] = snapOption(issue, value);
  }
  return offer;
}

export function parseRespond(raw: string | undefined): Exclude<ReplyAction, 'propose'> {
  const action = String(raw ?? '').trim().toLowerCase();
  if (action === 'accept' || action === 'reject' || action === 'end') return action;
  throw new NegotiationInputError(`respond takes accept, reject or end, got '${raw ?? ''}'`, ['accept', 'reject', 'end'], 'invalid_action');
}

export const STRATEGIES = { boulware: 4, linear: 1, conceder: 0.25 } as const;
export type Strategy = keyof typeof STRATEGIES;

export function parseStrategy(raw: string | undefined): Strategy {
  const name = String(raw ?? 'boulware').toLowerCase();
  if (name in STRATEGIES) return name as Strategy;
  throw new NegotiationInputError(`--strategy takes boulware, linear or conceder, got '${raw}'`, Object.keys(STRATEGIES), 'invalid_strategy');
}

export function parseAwaitTimeout(raw: string | number | undefined): number {
  if (raw === undefined || raw === '') return 120;
  const text = String(raw).trim();
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0 || Number(text) > 86_400) {
    throw new NegotiationInputError(`--timeout takes seconds from 0.1 to 86400, got '${raw}'`);
  }
  return Number(text);
}

// ---- the same verbs from JSON (HTTP bodies, MCP arguments) ----

type Json = Record<string, unknown>;

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new NegotiationInputError(`'${field}' must be a string or a list of strings`);
}

/** `{issue: [options]}` or `{issue: value}` objects become the flag strings the CLI parses. */
function pairs(value: unknown, field: string, join: (key: string, v: unknown) => string): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.entries(value).map(([k, v]) => join(k, v));
  return stringList(value, field);
}

const listOf = (v: unknown, field: string, sep: string) => {
  if (Array.isArray(v) && v.every((o) => typeof o === 'string')) return v.join(sep);
  if (typeof v === 'string') return v;
  throw new NegotiationInputError(`each entry of '${field}' must be a list of option strings`);
};

/** `session join` from JSON: message, prefer ({issue: [best, ...]} or ["issue=a>b"]), weight, limit. */
export function joinFromJson(body: Json): JoinInput {
  const message = body.message;
  if (message !== undefined && typeof message !== 'string') throw new NegotiationInputError("'message' must be a string");
  return parseJoin({
    message,
    prefer: pairs(body.prefer, 'prefer', (k, v) => `${k}=${listOf(v, 'prefer', '>')}`),
    weight: pairs(body.weight, 'weight', (k, v) => `${k}=${typeof v === 'number' ? v : String(v)}`),
    limit: pairs(body.limit, 'limit', (k, v) => listOf(v, 'limit', ',').split(',').map((o) => `${k}!=${o}`).join('\n')).flatMap((s) => s.split('\n')),
  });
}

/** `negotiate open` from JSON: issues ({key: [options]} or ["key=a,b"]), rounds, join_window, round_timeout, participants. */
export function openFromJson(body: Json): OpenInput {
  const text = (v: unknown, field: string) => {
    if (v === undefined || typeof v === 'string' || typeof v === 'number') return v as string | number | undefined;
    throw new NegotiationInputError(`'${field}' must be a number or a string like 30s`);
  };
  return parseOpen({
    issue: pairs(body.issues, 'issues', (k, v) => `${k}=${listOf(v, 'issues', ',')}`),
    rounds: text(body.rounds, 'rounds'),
    joinWindow: text(body.join_window, 'join_window'),
    roundTimeout: text(body.round_timeout, 'round_timeout'),
    participants: body.participants === undefined ? undefined : stringList(body.participants, 'participants'),
  });
}

/** `negotiate propose` from JSON: offer as {issue: value} or ["issue=value"]. */
export function proposalFromJson(body: Json): Record<string, string> {
  const offer = body.offer;
  if (offer !== null && typeof offer === 'object' && !Array.isArray(offer)) return parseProposal(offer as Json);
  return parseProposal(stringList(offer, 'offer'));
}
