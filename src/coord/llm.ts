import { spawn } from 'node:child_process';
import { InvalidInputError, LlmFailedError } from '../errors.js';

/** How to reach the LLM: `[llm]` in config.toml, shared by every coordination verb that asks one. */
export interface LlmSettings {
  /** A shell command line; it reads the prompt on stdin and prints the answer on stdout. */
  command: string;
  /** Kill the command after this long (default 120 s). */
  timeoutMs: number;
  /** Largest answer kept, in bytes (default 256 KiB); more is an error, not a cut. */
  maxOutputBytes: number;
}

export const DEFAULT_LLM_TIMEOUT_MS = 120_000;
export const DEFAULT_LLM_MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The `[llm]` table of a config (`command`, optional `timeout_seconds`), or undefined when no
 * command is configured. A malformed table is an InvalidInputError naming the field.
 */
export function llmSettingsFrom(config: Record<string, unknown>): LlmSettings | undefined {
  const table = config.llm;
  if (table === undefined) return undefined;
  if (typeof table !== 'object' || table === null) throw new InvalidInputError('[llm] in config.toml must be a table; e.g. [llm] command = "claude -p"');
  const { command, timeout_seconds: timeout } = table as Record<string, unknown>;
  if (command === undefined || command === '') return undefined;
  if (typeof command !== 'string') throw new InvalidInputError('[llm] command in config.toml must be a string; e.g. command = "claude -p"');
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    throw new InvalidInputError('[llm] timeout_seconds in config.toml must be a positive number');
  }
  return {
    command,
    timeoutMs: typeof timeout === 'number' ? timeout * 1000 : DEFAULT_LLM_TIMEOUT_MS,
    maxOutputBytes: DEFAULT_LLM_MAX_OUTPUT_BYTES,
  };
}

/**
 * Runs the LLM command with `prompt` on stdin and returns what it printed (trimmed). A non-zero
 * exit, a timeout, too much or no output is an LlmFailedError; on timeout the whole process group
 * is killed so no child of the shell lingers.
 */
export function runLlm(prompt: string, settings: LlmSettings, options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(settings.command, {
      shell: true,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: string | undefined;
    const kill = () => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure = `timed out after ${Math.round(settings.timeoutMs / 1000)} s; raise [llm] timeout_seconds or check the command`;
      kill();
    }, settings.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > settings.maxOutputBytes) {
        failure ??= `printed more than ${settings.maxOutputBytes} bytes; make it answer shorter`;
        kill();
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 2000) err += chunk.toString('utf8');
    });
    child.stdin.on('error', () => {}); // a command that exits without reading its input
    child.on('error', (e) => {
      failure ??= `cannot run it (${(e as NodeJS.ErrnoException).code ?? e.message})`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const what = `[llm] command '${settings.command}'`;
      if (failure) return reject(new LlmFailedError(`${what} ${failure}`));
      if (code !== 0) {
        const detail = err.trim().split('\n')[0]?.slice(0, 200);
        return reject(new LlmFailedError(`${what} exited with ${code ?? signal}${detail ? `: ${detail}` : ''}; check the command in config.toml`));
      }
      const answer = Buffer.concat(out).toString('utf8').trim();
      if (answer === '') return reject(new LlmFailedError(`${what} printed nothing; check that it writes its answer to stdout`));
      resolve(answer);
    });
    child.stdin.end(prompt);
  });
}
