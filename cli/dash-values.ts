/**
 * Values that start with '-' but cannot be options (`memory set work/todo "- fix login"`, `-5`,
 * `-> next`): the parser would take them for options. They are marked before parsing and unmarked
 * before a command runs. Option-shaped words (`-x`, `--name`) stay options; `--` before a value
 * always works.
 */
const MARK = '\u{F8FF}';
const OPTION_SHAPED = /^(?:-[A-Za-z]+|--[A-Za-z][\w-]*(?:=[\s\S]*)?)$/;

/** argv with every dash value before `--` marked. */
export function markDashValues(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, i) => ((end === -1 || i < end) && arg.length > 1 && arg.startsWith('-') && !OPTION_SHAPED.test(arg) ? MARK + arg : arg));
}

/** A parsed argument or options object with the marks taken off again. */
export function unmarkDashValues<T>(value: T): T {
  if (typeof value === 'string') return (value.startsWith(MARK) ? value.slice(MARK.length) : value) as T;
  if (Array.isArray(value)) return value.map(unmarkDashValues) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unmarkDashValues(v)])) as T;
  }
  return value;
}
