import { describe, expect, it } from 'vitest';
import { parsePlanBody, renderPlanBody } from '../src/coord/plan/format.js';

// The hand-written line reader must say exactly what the checklist pattern says.
describe('plan line parsing', () => {
  it('reads bullets, marks, indents and tokens the way the checklist pattern does', () => {
    const body = [
      '# Plan',
      '  * [X] Indented done @ana (t-aaaa) done:@ana',
      '\t+ [-] Tab dropped (t-bbbb) dropped:@bo',
      '- [ ] Open with needs (t-cccc) needs:t-aaaa,t-bbbb',
      '- [ ] ends in two words that are not tokens',
      '- [ ] @lead first word is always text',
      '- [ ]   ',
      '- [] broken',
      '-  [ ] two spaces is not a task',
      '- [ ] has a \u2028 line separator',
      'prose - [ ] inside',
      '',
    ].join('\n');
    const warnings: string[] = [];
    const lines = parsePlanBody(body, warnings);
    const kinds = lines.map((l) => l.kind);
    expect(kinds).toEqual(['text', 'task', 'task', 'task', 'task', 'task', 'text', 'text', 'text', 'text', 'text', 'text']);
    const tasks = lines.flatMap((l) => (l.kind === 'task' ? [l] : []));
    expect(tasks[0]).toMatchObject({ indent: '  ', bullet: '*', task: { id: 't-aaaa', state: 'done', owner: 'ana', closedBy: 'ana', text: 'Indented done' } });
    expect(tasks[1]).toMatchObject({ indent: '\t', bullet: '+', task: { id: 't-bbbb', state: 'dropped', closedBy: 'bo', text: 'Tab dropped' } });
    expect(tasks[2].task).toMatchObject({ needs: ['t-aaaa', 't-bbbb'], text: 'Open with needs' });
    expect(tasks[3].task).toMatchObject({ id: '', text: 'ends in two words that are not tokens' });
    expect(tasks[4].task).toMatchObject({ owner: null, text: '@lead first word is always text' });
    // The blank task, the broken one and the one with a line separator are warned about; nothing is lost.
    expect(warnings.filter((w) => w.includes('looks like a task'))).toHaveLength(3);
    expect(renderPlanBody(lines)).toBe(body);
  });

  it('keeps CRLF lines and reads their tokens', () => {
    const body = '- [ ] Windows line @ana (t-dddd)\r\n- [x] next (t-eeee) done:@bo\r\n';
    const lines = parsePlanBody(body);
    expect(lines[0]).toMatchObject({ kind: 'task', cr: true, task: { id: 't-dddd', owner: 'ana', text: 'Windows line' } });
    expect(lines[1]).toMatchObject({ kind: 'task', task: { id: 't-eeee', state: 'done' } });
    expect(renderPlanBody(lines)).toBe(body);
  });
});
