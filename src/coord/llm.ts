import { spawn } from 'node:child_process';
import { globalConfigPath, readConfig } from '../config.js';
import { InvalidInputError, LlmFailedError } from '../errors.js';

/**
 * What a coordination verb asks an LLM. `prompt` is the whole text a real model reads; `sections`
 * and `sources` say the same in structured form, so a provider that is no model (the local one)
 * can answer deterministically without parsing the prompt.
 */
export interface LlmRequest {
  prompt: string;
  /** The `## ` headings the answer must have, in order. */
  sections?: readonly string[];
  /** The material quoted in the prompt (already in it; never instructions). */
  sources?: readonly LlmSource[];
}

export interface LlmSource {
  key: string;
  by?: string;
  /** The first line of the source, for one-line citations. */
  firstLine: string;
}

/** Anything that answers an LlmRequest: a command, the local provider, or a test's own. */
export interface LlmProvider {
  /** 'command' or 'local' (or a caller's own name), recorded with what it wrote. */
  readonly name: string;
  /** The answer (markdown), or an LlmFailedError when there is none. */
  complete(request: LlmRequest): Promise<string>;
}

/** How to reach the LLM: `[llm]` in config.toml (env overrides), shared by every coordination verb. */
export interface LlmSettings {
  provider: 'command' | 'local';
  /** For 'command': a shell command line; it reads the prompt on stdin and prints the answer on stdout. */
  command?: string;
  /** Kill the command after this long (default 120 s). */
  timeoutMs: number;
  /** Largest answer kept, in bytes (default 256 KiB); more is an error, not a cut. */
  maxOutputBytes: number;
}

export const DEFAULT_LLM_TIMEOUT_MS = 120_000;
export const DEFAULT_LLM_MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The LLM settings from a config's `[llm]` table and the environment, or undefined when no LLM is
 * configured. `[llm] command = "claude -p"` (or `MYCELIUM_LLM_COMMAND`) selects the command
 * provider; `[llm] provider = "local"` (or `MYCELIUM_LLM_PROVIDER=local`) the built-in
 * deterministic one; `timeout_seconds` (or `MYCELIUM_LLM_TIMEOUT_SECONDS`) bounds a command.
 * A malformed value is an InvalidInputError naming it.
 */
export function llmSettingsFrom(config: Record<string, unknown>, env: Record<string, string | undefined> = {}): LlmSettings | undefined {
  const table = config.llm ?? {};
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new InvalidInputError('[llm] in config.toml must be a table; e.g. [llm] command = "claude -p"');
  }
  const fields = table as Record<string, unknown>;
  const command = env.MYCELIUM_LLM_COMMAND || fields.command;
  const provider = env.MYCELIUM_LLM_PROVIDER || fields.provider;
  const timeout = env.MYCELIUM_LLM_TIMEOUT_SECONDS ? Number(env.MYCELIUM_LLM_TIMEOUT_SECONDS) : fields.timeout_seconds;
  if (command !== undefined && typeof command !== 'string') {
    throw new InvalidInputError('[llm] command in config.toml must be a string; e.g. command = "claude -p"');
  }
  if (provider !== undefined && provider !== 'command' && provider !== 'local') {
    throw new InvalidInputError(`[llm] provider must be "command" or "local", got ${JSON.stringify(provider)}`);
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    throw new InvalidInputError('[llm] timeout_seconds (MYCELIUM_LLM_TIMEOUT_SECONDS) must be a positive number of seconds');
  }
  const chosen = provider ?? (command ? 'command' : undefined);
  if (chosen === undefined) return undefined;
  if (chosen === 'command' && !command) {
    throw new InvalidInputError('[llm] provider = "command" needs [llm] command = "..." (or MYCELIUM_LLM_COMMAND)');
  }
  return {
    provider: chosen,
    command: command || undefined,
    timeoutMs: typeof timeout === 'number' ? timeout * 1000 : DEFAULT_LLM_TIMEOUT_MS,
    maxOutputBytes: DEFAULT_LLM_MAX_OUTPUT_BYTES,
  };
}

/** The LLM configured for a home (`$MYCELIUM_HOME/config.toml` `[llm]`, env overrides), or undefined. */
export function llmForHome(home: string, env: Record<string, string | undefined> = {}): LlmProvider | undefined {
  const settings = llmSettingsFrom(readConfig(globalConfigPath(home)), env);
  return settings ? llmProvider(settings) : undefined;
}

/** The provider the settings name. */
export function llmProvider(settings: LlmSettings, options: { cwd?: string } = {}): LlmProvider {
  if (settings.provider === 'local') return localProvider();
  return commandProvider(settings, options);
}

/** An LLM reached through a shell command: the prompt on its stdin, the answer on its stdout. */
export function commandProvider(settings: LlmSettings, options: { cwd?: string } = {}): LlmProvider {
  return { name: 'command', complete: (request) => runLlmCommand(request.prompt, settings, options) };
}

/**
 * The built-in provider: no model, no network, the same answer for the same request. Each section
 * lists the sources whose folder belongs to it (decisions/ → decisions, failed/ → what failed, …),
 * one line each with its key cited; a source whose first line asks a question goes to open questions.
 */
export function localProvider(): LlmProvider {
  return {
    name: 'local',
    async complete(request) {
      const sections = request.sections ?? ['Summary'];
      const sources = request.sources ?? [];
      const placed = new Map<string, LlmSource[]>(sections.map((s) => [s, []]));
      for (const source of sources) {
        const section = sectionFor(source, sections);
        placed.get(section)?.push(source);
      }
      const lines: string[] = [];
      for (const section of sections) {
        lines.push(`## ${section}`, '');
        const items = placed.get(section)!;
        if (items.length === 0) lines.push('none');
        for (const s of items) lines.push(`- ${s.firstLine} (\`${s.key}\`${s.by ? `, ${s.by}` : ''})`);
        lines.push('');
      }
      return lines.join('\n').trimEnd();
    },
  };
}

/** Which requested section a source belongs in: a question to open questions, else by folder, else what's built. */
function sectionFor(source: LlmSource, sections: readonly string[]): string {
  const folder = source.key.includes('/') ? source.key.slice(0, source.key.indexOf('/')) : '';
  const want = (pattern: RegExp) => sections.find((s) => pattern.test(s));
  const byFolder: Record<string, RegExp> = {
    decisions: /decision/i,
    failed: /fail/i,
    status: /status/i,
    work: /built/i,
    procedures: /built/i,
    context: /status/i,
    todo: /next/i,
    next: /next/i,
  };
  const question = source.firstLine.trimEnd().endsWith('?') ? want(/question/i) : undefined;
  if (question) return question;
  const pattern = byFolder[folder];
  return (pattern ? want(pattern) : undefined) ?? want(/built/i) ?? sections[0];
}

/**
 * Runs the LLM command with `prompt` on stdin and returns what it printed (trimmed). A non-zero
 * exit, a timeout, too much or no output is an LlmFailedError; on timeout the whole process group
 * is killed so no child of the shell lingers.
 */
export function runLlmCommand(prompt: string, settings: LlmSettings, options: { cwd?: string } = {}): Promise<string> {
  const command = settings.command ?? '';
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
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
      const what = `[llm] command '${command}'`;
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
