import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('mycelium demo', () => {
  it('runs the tour in a temporary home, prints a success line, and touches nothing else', () => {
    const home = tempDir();
    const result = cli(['demo'], { home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('$ mycelium memory set context/deploy');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^✔ mycelium demo passed/);
    const tempHome = /a temporary home at (\S+)/.exec(result.stdout)![1];
    expect(cli(['room', 'ls'], { home: tempHome, cwd: home }).stdout).toMatch(/no rooms yet/);
  });
});
