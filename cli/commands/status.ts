import { resolveHome } from '../../src/config.js';
import { homeStatus } from '../../src/daemon/client.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';
import { readSettings } from '../../src/settings.js';

export async function status(options: CommonOptions): Promise<void> {
  const home = resolveHome(process.env);
  const report = await homeStatus(home, readSettings(process.env));
  if (options.json) return printJson(report);
  const { daemon, model } = report;
  printLine(`home    ${report.home}`);
  printLine(`daemon  ${daemon.running ? `running (pid ${daemon.pid}, since ${daemon.started_at})` : 'not running'}`);
  printLine(`model   ${model.name ?? `none (${model.reason})`}`);
  printLine(`cursor  ${report.cursor}`);
  if (report.rooms.length === 0) return printLine('no rooms');
  const rows = [['room', 'memories', 'pending', 'lag', 'problems', 'last reconcile']];
  for (const room of report.rooms) {
    rows.push([
      room.name,
      String(room.memories),
      String(room.pending_events),
      room.index_lag_ms === null ? '-' : `${room.index_lag_ms} ms`,
      String(room.problems.length),
      room.last_reconcile ?? '-',
    ]);
  }
  printLine(table(rows));
  for (const room of report.rooms) for (const problem of room.problems) printLine(`${room.name}: ${problem.path}: ${problem.reason}`);
  for (const room of report.rooms) {
    const failure = room.watch_failure;
    if (!failure) continue;
    const state = failure.pending_retry ? `retry ${failure.attempts + 1} at ${failure.retry_at}` : `caught up at ${failure.recovered_at}`;
    printLine(`${room.name}: watcher batch failed at ${failure.at} (${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'}): ${failure.error}; ${state}`);
  }
}
