import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('mycelium demo', () => {
  it('runs the tour (memories, then the coordination arc) in a temporary home, prints a success line, and touches nothing else', () => {
    const home = tempDir();
    const result = cli(['demo'], { home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('$ mycelium memory set context/deploy');
    // The coordination arc: negotiation to consensus, tasks taken once each, an overlapping claim refused.
    expect(result.stdout).toMatch(/consensus after \d+ round\(s\): api=\w+ db=\w+; \d+ tasks written to plan\/tasks\.md/);
    const taken = /ana took (t-\w+), bob took (t-\w+)/.exec(result.stdout);
    expect(taken, result.stdout).not.toBeNull();
    expect(taken![1]).not.toBe(taken![2]);
    expect(result.stdout).toMatch(/bob refused with exit 3: .*ana/);
    expect(result.stdout).toContain('1 unread from @ana');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^✔ mycelium demo passed: memories .* and coordination/);
    const tempHome = /a temporary home at (\S+)/.exec(result.stdout)![1];
    expect(cli(['room', 'ls'], { home: tempHome, cwd: home }).stdout).toMatch(/no rooms yet/);
  });
});
