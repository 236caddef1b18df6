import { runDoctor, type CheckStatus } from '../../src/doctor.js';
import { ExitCode } from '../../src/errors.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';

const labels: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', unavailable: '--' };

/** Prints every check; exits 4 when one failed (mycelium cannot work here), else 0. */
export async function doctor(options: CommonOptions): Promise<void> {
  const checks = await runDoctor({ env: process.env });
  const failed = checks.some((c) => c.status === 'fail');
  if (options.json) printJson({ ok: !failed, checks });
  else {
    const rows: string[][] = [];
    for (const check of checks) {
      rows.push([labels[check.status], check.name, check.detail]);
      if (check.fix) rows.push(['', '', `fix: ${check.fix}`]);
    }
    printLine(table(rows));
    printLine(failed ? 'mycelium cannot work here until the failed checks are fixed' : 'mycelium works here');
  }
  if (failed) process.exitCode = ExitCode.io;
}
