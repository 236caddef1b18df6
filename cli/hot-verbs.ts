import { CLAIM, COMMON_FLAGS, DIGEST, HOOK, MEMORY_GET, MEMORY_LS, MEMORY_SEARCH, MEMORY_SET, PLAN_TASK_DONE, PLAN_TASKS, flagKey, flagName, takesValue, type FlagSpec, type VerbSpec } from './verb-spec.js';

/**
 * The fast path for the hot verbs (`memory set/get/ls/search`, `digest`, `hook`, `claim`, `plan tasks`,
 * `plan task done`): bin/mycelium.js asks
 * `runHotVerb` first, and only a command line it declines reaches the commander program. Commander
 * and the ~100 flags of the whole program cost more than the work of `memory get`; here a command
 * line is parsed against the verb's own spec (cli/verb-spec.ts, the one the commander command is
 * built from) and only the verb's handler is imported.
 *
 * Anything this parser is not sure it reads exactly as commander would — `--help`, an unknown or
 * short option, a missing or extra argument, a value outside the choices, a switch given a value, a
 * first operand naming a subcommand (`claim renew`) —
 * is declined, so the full parser prints its own help or error with its exit code. What is
 * accepted runs through the same `runCommand` as a commander action (one error line, `--json`
 * error objects, exit codes). test/hot-verbs.test.ts runs both parsers on the same command lines.
 */

type Handler = (...args: any[]) => Promise<void>;

interface HotVerb {
  spec: VerbSpec;
  load: () => Promise<Handler>;
  /** The handler reports by itself (the hook: silent, exit 0) instead of through runCommand. */
  raw?: boolean;
}

export const HOT_VERBS: HotVerb[] = [
  { spec: MEMORY_SET, load: async () => (await import('./commands/memory.js')).memorySet },
  { spec: MEMORY_GET, load: async () => (await import('./commands/memory.js')).memoryGet },
  { spec: MEMORY_LS, load: async () => (await import('./commands/memory.js')).memoryLs },
  { spec: MEMORY_SEARCH, load: async () => (await import('./commands/search.js')).memorySearch },
  { spec: DIGEST, load: async () => (await import('./commands/digest.js')).digest },
  { spec: HOOK, load: async () => (await import('./hook.js')).runHook, raw: true },
  { spec: CLAIM, load: async () => (await import('./commands/claims.js')).claim },
  { spec: PLAN_TASKS, load: async () => (await import('./commands/plan.js')).planTasks },
  { spec: PLAN_TASK_DONE, load: async () => (await import('./commands/plan.js')).planTaskDone },
];

/** An option-shaped word (`-x`, `--name`, `--name=v`), as cli/dash-values.ts tells them from dash values. */
const OPTION_SHAPED = /^(?:-[A-Za-z]+|--[A-Za-z][\w-]*(?:=[\s\S]*)?)$/;

export interface HotCall {
  verb: HotVerb;
  /** The positional arguments, one per declared argument (undefined when an optional one is absent; an array for a variadic one). */
  args: (string | string[] | undefined)[];
  options: Record<string, string | boolean | string[]>;
}

/** The call a command line makes, or undefined to leave it to the full parser. */
export function parseHotVerb(argv: string[]): HotCall | undefined {
  const words = argv.slice(2);
  const verb = HOT_VERBS.find(({ spec }) => spec.words.every((w, i) => words[i] === w));
  if (verb === undefined) return undefined;
  const flags = new Map<string, FlagSpec>();
  for (const flag of [...verb.spec.flags, ...(verb.spec.common ? COMMON_FLAGS : [])]) flags.set(flagName(flag.flags), flag);
  const options: Record<string, string | boolean | string[]> = {};
  for (const flag of verb.spec.flags) if (flag.default !== undefined) options[flagKey(flag.flags)] = flag.default;
  const operands: string[] = [];
  const rest = words.slice(verb.spec.words.length);
  let ended = false;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (ended) {
      operands.push(word);
      continue;
    }
    if (word === '--') {
      ended = true;
      continue;
    }
    if (!OPTION_SHAPED.test(word)) {
      operands.push(word); // a plain word, '-', or a dash value such as '- fix login' or '-5'
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const flag = flags.get(name);
    if (flag === undefined) return undefined; // --help, -h, a short or unknown option
    if (!takesValue(flag.flags)) {
      if (eq !== -1) return undefined;
      options[flagKey(flag.flags)] = true;
      continue;
    }
    const value = eq === -1 ? rest[++i] : word.slice(eq + 1);
    if (value === undefined || (eq === -1 && (value === '--' || OPTION_SHAPED.test(value)))) return undefined;
    if (flag.choices && !flag.choices.includes(value)) return undefined;
    const key = flagKey(flag.flags);
    const earlier = options[key];
    options[key] = flag.repeat ? [...(Array.isArray(earlier) ? earlier : []), value] : value;
  }
  // Commander runs a subcommand (or its implicit `help`) named by the first operand.
  const subcommands = verb.spec.subcommands ?? [];
  if (subcommands.length > 0 && [...subcommands, 'help'].includes(operands[0])) return undefined;
  const declared = verb.spec.args;
  const required = declared.filter((a) => a.name.startsWith('<')).length;
  const variadic = /\.\.\.[>\]]$/.test(declared.at(-1)?.name ?? '');
  if (operands.length < required || (!variadic && operands.length > declared.length)) return undefined;
  // A variadic last argument takes the rest as an array ([] when none), as commander passes it.
  const args = declared.map((_, i) => (variadic && i === declared.length - 1 ? operands.slice(i) : operands[i]));
  return { verb, args, options };
}

/** Runs a hot verb's command line and returns true, or returns false (nothing done) for the full parser. */
export async function runHotVerb(argv: string[]): Promise<boolean> {
  const call = parseHotVerb(argv);
  if (call === undefined) return false;
  if (call.verb.raw) {
    await (await call.verb.load())(...call.args);
    return true;
  }
  const { runCommand, setQuiet } = await import('./output.js');
  setQuiet(call.options.quiet === true);
  await runCommand(async () => (await call.verb.load())(...call.args, call.options), { json: call.options.json === true });
  return true;
}
