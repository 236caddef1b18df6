/**
 * The hot verbs, declared once as data: the commands that run before every prompt or in every
 * script loop (`memory set/get/ls`, `digest`, `hook`, and the plan and claim verbs an agent runs
 * around each step of work: `claim`, `plan tasks`, `plan task done`; `memory search`, the first
 * thing a new user runs, and a no-daemon search is mostly start-up). main.ts builds their commander commands from
 * these entries and cli/hot-verbs.ts parses a command line against the same entries without loading
 * commander, so both parsers know the same arguments, flags, choices and defaults.
 * This module is data only: it imports nothing.
 */

/** One flag, spelled as commander takes it: `--name` (a switch) or `--name <value>`. */
export interface FlagSpec {
  flags: string;
  description: string;
  choices?: string[];
  default?: string;
  /** The flag may be given again: its values collect into a list, in order (`--tag a --tag b` → ['a', 'b']). */
  repeat?: boolean;
}

/** One positional argument: `<name>` is required, `[name]` optional; `...` at the end takes the rest (an array). */
export interface ArgSpec {
  name: string;
  description: string;
}

export interface VerbSpec {
  /** The command words, e.g. ['memory', 'set']. */
  words: string[];
  description: string;
  args: ArgSpec[];
  flags: FlagSpec[];
  /** Takes the options every command takes (--room, --handle, --json, --quiet). */
  common: boolean;
  /** Names of subcommands under this verb (`claim renew`): as the first operand, commander runs them instead. */
  subcommands?: string[];
}

/** The options every command takes (cli/wiring.ts `common`). */
export const COMMON_FLAGS: FlagSpec[] = [
  { flags: '--room <name>', description: 'room to use (default: MYCELIUM_ROOM, then .mycelium/config.toml, then the active room)' },
  { flags: '--handle <name>', description: 'who is acting (default: MYCELIUM_AGENT_HANDLE, then config identity, then the OS user)' },
  { flags: '--json', description: 'print stable JSON instead of text' },
  { flags: '--quiet', description: 'print only results and errors: no notices, warnings or progress' },
];

export const MEMORY_SET: VerbSpec = {
  words: ['memory', 'set'],
  description: 'write a memory (text, or JSON objects and arrays as JSON)',
  args: [
    { name: '<key>', description: 'memory key, e.g. decisions/db' },
    { name: '[value]', description: "the value; '-' reads standard input" },
  ],
  flags: [
    { flags: '--file <path>', description: 'read the value from a file' },
    { flags: '--tags <list>', description: 'comma-separated tags (omit to keep the existing ones)' },
    { flags: '--format <format>', description: 'how to store the value', choices: ['auto', 'text', 'json'], default: 'auto' },
    { flags: '--if-version <n>', description: 'refuse (exit 3) unless the current version is n; 0 means it must not exist' },
    { flags: '--allow-empty', description: 'store an empty value read from standard input or --file (refused otherwise)' },
  ],
  common: true,
};

export const MEMORY_GET: VerbSpec = {
  words: ['memory', 'get'],
  description: 'print a memory (--json: the whole record)',
  args: [{ name: '<key>', description: 'memory key' }],
  flags: [],
  common: true,
};

export const MEMORY_LS: VerbSpec = {
  words: ['memory', 'ls'],
  description: 'list memories sorted by key',
  args: [{ name: '[prefix]', description: 'only keys that start with this' }],
  flags: [
    { flags: '--prefix <prefix>', description: 'only keys that start with this' },
    { flags: '--limit <n>', description: 'show at most n memories' },
  ],
  common: true,
};

export const MEMORY_SEARCH: VerbSpec = {
  words: ['memory', 'search'],
  description: 'search memories by meaning and words (BM25 + embeddings)',
  args: [{ name: '<query>', description: 'words to search for' }],
  flags: [
    { flags: '--limit <n>', description: 'show at most n results (default 10)' },
    { flags: '--mode <mode>', description: 'hybrid (default when a model loads), bm25 or vector', choices: ['hybrid', 'bm25', 'vector'] },
    { flags: '--prefix <prefix>', description: 'only keys that start with this' },
    { flags: '--tag <tag>', description: 'only memories with this tag (repeat for several: all must match)', repeat: true },
    { flags: '--by <handle>', description: 'only memories created or last updated by this handle' },
    { flags: '--kind <kind>', description: 'message: only messages; memory: leave messages out', choices: ['memory', 'message'] },
    { flags: '--since <date>', description: 'only memories updated at or after this date (e.g. 2026-11-01)' },
    { flags: '--explain', description: "show each result's BM25 and vector rank and score and the fused score" },
    { flags: '--min-score <score>', description: 'drop results scoring below this' },
  ],
  common: true,
};

export const DIGEST: VerbSpec = {
  words: ['digest'],
  description: "this handle's compact view of the room: mentions, claims, tasks, negotiation, decisions",
  args: [],
  flags: [
    { flags: '--max-chars <n>', description: 'length budget, 200 to 10000 (default 4000)' },
    { flags: '--since-cursor', description: 'only what changed since your last digest; prints nothing when nothing did' },
  ],
  common: true,
};

export const HOOK: VerbSpec = {
  words: ['hook'],
  description: 'what the Claude Code hooks run: reads the hook JSON on stdin, prints the digest, always exits 0',
  args: [{ name: '<event>', description: 'session-start or prompt' }],
  flags: [],
  common: false,
};

/** The plan's stall window flag (`plan tasks`, `plan ready`, `plan task claim`). */
export const STALL_FLAG: FlagSpec = {
  flags: '--stall <duration>',
  description: 'how long an owner may go unseen before its task is stalled: 90s, 10m, 2h, 1d (default MYCELIUM_PLAN_STALL, else 30m)',
};

/** The server token flag of the claim verbs. */
export const TOKEN_FLAG: FlagSpec = { flags: '--token <token>', description: 'server token for a room cloned from a server (default: MYCELIUM_TOKEN)' };

export const CLAIM: VerbSpec = {
  words: ['claim'],
  description: 'lease paths so no one else edits them (exit 3 naming the holder if they are taken)',
  args: [{ name: '[paths...]', description: 'files or folders, relative to the repository (none: the whole tree)' }],
  flags: [
    TOKEN_FLAG,
    { flags: '--task <id>', description: 'the plan task this work is for (its last checkpoint passes to you)' },
    { flags: '--ttl <duration>', description: 'how long the lease lasts: 90s, 30m, 2h, 7d (30 s … 30 days, default 30m)' },
    { flags: '--worktree <name>', description: 'the worktree it applies to (different worktrees never conflict)' },
    { flags: '--checkpoint <text>', description: 'where the work stands; survives expiry for the next claimant of the task' },
  ],
  common: true,
  subcommands: ['renew', 'handoff', 'git-hook', 'release-committed'],
};

export const PLAN_TASKS: VerbSpec = {
  words: ['plan', 'tasks'],
  description: 'open tasks with id, status, owner and why blocked ones wait',
  args: [],
  flags: [
    STALL_FLAG,
    { flags: '--all', description: 'done and dropped tasks too' },
    { flags: '--mine', description: 'only tasks I own' },
    { flags: '--ready', description: 'only tasks that can start now' },
    { flags: '--owner <handle>', description: 'only tasks this handle owns' },
  ],
  common: true,
};

export const PLAN_TASK_DONE: VerbSpec = {
  words: ['plan', 'task', 'done'],
  description: 'mark tasks done (records done:@me)',
  args: [{ name: '<ids...>', description: 'task ids' }],
  flags: [],
  common: true,
};

/** The option key commander derives from a flag: `--if-version <n>` → `ifVersion`. */
export function flagKey(flags: string): string {
  return flagName(flags).slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--if-version <n>` → `--if-version`. */
export function flagName(flags: string): string {
  return flags.split(' ')[0];
}

/** Whether a flag takes a value (`--file <path>`) or is a switch (`--json`). */
export function takesValue(flags: string): boolean {
  return flags.includes(' <');
}
