import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../src/errors.js';
import { memoryRecord } from '../../src/memory-record.js';
import { parseTags } from '../../src/room.js';
import type { ValueFormat } from '../../src/codec.js';
import { openRoom, wholeNumber } from '../context.js';
import { printJson, printLine, table, warn, type CommonOptions } from '../output.js';
import { writeOut } from '../stdio.js';

interface SetFlags extends CommonOptions {
  file?: string;
  tags?: string;
  format: ValueFormat | 'auto';
  ifVersion?: string;
  allowEmpty?: boolean;
}

async function readValue(value: string | undefined, file: string | undefined): Promise<string> {
  if (value !== undefined && file !== undefined) {
    throw new InvalidInputError('give the value as an argument or with --file, not both');
  }
  if (file !== undefined) {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InvalidInputError(`cannot read --file ${file} (${code}); check the path`);
    }
  }
  if (value === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  if (value === undefined) {
    throw new InvalidInputError("missing value; pass it as an argument, with --file PATH, or '-' to read standard input");
  }
  return value;
}

export async function memorySet(key: string, value: string | undefined, options: SetFlags): Promise<void> {
  const { context, room } = await openRoom(options);
  const input = await readValue(value, options.file);
  // An empty pipe is far more often a failed command upstream than a wish to empty the memory.
  if (input === '' && value !== '' && !options.allowEmpty) {
    throw new InvalidInputError(`${options.file !== undefined ? `--file ${options.file}` : 'standard input'} is empty; nothing was written (pass --allow-empty to store an empty value)`);
  }
  const change = await room.set(key, input, {
    handle: context.handle,
    format: options.format,
    tags: options.tags === undefined ? undefined : parseTags(options.tags),
    ifVersion: wholeNumber(options.ifVersion, '--if-version'),
  });
  // issue 17: synthesis triggers and the knowledge-ingest forwarder, started after the write, never awaited.
  await (await import('../after-write.js')).afterWrite(context.home, room, { kind: 'memory', room: room.name, key: change.key, content: input, by: change.by });
  if (options.json) return printJson({ room: change.room, key: change.key, version: change.version, path: change.path });
  printLine(`${change.key}  v${change.version}  ${change.path}`);
}

export async function memoryGet(key: string, options: CommonOptions): Promise<void> {
  const { room } = await openRoom(options);
  const memory = await room.get(key);
  warn(memory.warnings);
  if (options.json) return printJson(memoryRecord(memory));
  if (memory.format === 'json') printLine(JSON.stringify(memory.value, null, 2));
  else writeOut(memory.value as string);
}

export async function memoryLs(
  prefixArg: string | undefined,
  options: CommonOptions & { prefix?: string; limit?: string },
): Promise<void> {
  const { room } = await openRoom(options);
  if (prefixArg !== undefined && options.prefix !== undefined && prefixArg !== options.prefix) {
    throw new InvalidInputError('give the prefix once, as an argument or with --prefix');
  }
  const prefix = prefixArg ?? options.prefix;
  const { memoryListSkip } = await import('../../src/coord/messages/format.js');
  const { memories, warnings } = await room.list({ prefix, limit: wholeNumber(options.limit, '--limit', 1), skip: memoryListSkip(prefix) });
  warn(warnings);
  if (options.json) return printJson({ room: room.name, memories });
  if (memories.length === 0) return printLine(`no memories in room '${room.name}'`);
  printLine(
    table(memories.map((m) => [m.key, `v${m.version}`, m.updated_at ?? '-', m.updated_by ?? '-', m.first_line])),
  );
}

export async function memoryRm(key: string, options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  const change = await room.remove(key, context.handle);
  await (await import('../after-write.js')).notifyDaemon(context.home, room.name, change.key);
  if (options.json) return printJson({ room: change.room, key: change.key, removed: true });
  printLine(`removed ${change.key}`);
}
