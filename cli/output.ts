import { MyceliumError, ExitCode, errorJson } from '../src/errors.js';
import { writeErr, writeOut } from './stdio.js';

/** Options every command takes. */
export interface CommonOptions {
  room?: string;
  handle?: string;
  json?: boolean;
  quiet?: boolean;
}

export function printJson(value: unknown): void {
  writeOut(JSON.stringify(value, null, 2) + '\n');
}

export function printLine(text: string): void {
  writeOut(text + '\n');
}

let quiet = false;
const told = new Set<string>();

/** `--quiet`: no notices, warnings or progress on stderr; results and errors still print. */
export function setQuiet(value: boolean): void {
  quiet = value;
}

export function isQuiet(): boolean {
  return quiet;
}

/** A notice or warning on stderr: each line once per process, none with --quiet. */
export function notice(line: string): void {
  if (quiet || told.has(line)) return;
  told.add(line);
  writeErr(line + '\n');
}

/** A problem a library call survived (a watcher batch that failed), as `mycelium: <line>` on stderr, even with --quiet. */
export function problem(line: string): void {
  writeErr(`mycelium: ${line}\n`);
}

export function warn(lines: string[]): void {
  for (const line of lines) notice(line);
}

/** Aligns rows into columns separated by two spaces. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

/** How a command reports: `json` makes an error one JSON object on stdout as well (see errorJson). */
export interface ReportFormat {
  json?: boolean;
}

/** Prints an error: one line on stderr, and with --json the error object on stdout. */
export function printError(err: unknown, format: ReportFormat = {}): void {
  if (err instanceof MyceliumError) writeErr(`mycelium: ${err.message}\n`);
  else {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    writeErr(`mycelium: unexpected error: ${message}; please report it\n`);
  }
  if (format.json) printJson(errorJson(err));
}

/** Runs a command body; a MyceliumError becomes one line on stderr (and JSON with --json) and its exit code. */
export async function runCommand(body: () => Promise<void>, format: ReportFormat = {}): Promise<void> {
  try {
    await body();
  } catch (err) {
    printError(err, format);
    process.exitCode = err instanceof MyceliumError ? err.exitCode : ExitCode.io;
  }
}
