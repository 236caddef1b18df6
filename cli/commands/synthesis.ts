import { llmForHome } from '../../src/coord/llm.js';
import { catchup, catchupLimit, synthesize } from '../../src/coord/synthesis/index.js';
import { openRoom } from '../context.js';
import { printJson, printLine, warn, type CommonOptions } from '../output.js';

export async function roomSynthesize(options: CommonOptions & { llm?: boolean }): Promise<void> {
  const { context, room } = await openRoom(options);
  const useLlm = options.llm; // --llm true, --no-llm false, neither undefined (the LLM when one is configured)
  const llm = useLlm === false ? undefined : llmForHome(context.home, process.env);
  const result = await synthesize(room, { handle: context.handle, llm, useLlm });
  if (result.fallback) warn([`warning: ${result.fallback}`]);
  if (options.json) return printJson({ room: room.name, ...result });
  printLine(`${result.key}  ${result.memory_count} ${result.memory_count === 1 ? 'memory' : 'memories'}  ${result.method}${result.fallback ? ' (LLM failed, fell back)' : ''}`);
}

export async function roomCatchup(options: CommonOptions & { limit?: string }): Promise<void> {
  const { room } = await openRoom(options);
  const view = await catchup(room, { limit: catchupLimit(options.limit, '--limit') });
  if (options.json) return printJson(view);
  const lines: string[] = [];
  if (view.synthesis) {
    const s = view.synthesis;
    lines.push(`Newest synthesis: ${s.key} (${s.memory_count} memories, ${s.method}${s.by ? `, by ${s.by}` : ''})`, '', s.text.trimEnd(), '');
  } else {
    lines.push(`No synthesis in room '${room.name}' yet; run \`mycelium room synthesize\`. Everything so far:`, '');
  }
  lines.push(`${view.count} ${view.count === 1 ? 'memory' : 'memories'} changed ${view.synthesis ? 'since it' : 'in all'}${view.changes.length < view.count ? ` (newest ${view.changes.length} shown)` : ''}:`);
  for (const c of view.changes) lines.push(`- ${c.key}  ${c.by}  ${c.at.slice(0, 19).replace('T', ' ')}  ${c.first_line}`);
  if (view.deleted_count > 0) {
    lines.push(`${view.deleted_count} deleted since it${view.deleted!.length < view.deleted_count ? ` (first ${view.deleted!.length} shown)` : ''}:`);
    for (const key of view.deleted!) lines.push(`- ${key}`);
  }
  if (view.contributors.length > 0) lines.push(`Contributors: ${view.contributors.join(', ')}`);
  printLine(lines.join('\n'));
}
