/**
 * Glob patterns on memory keys: `*` matches within one segment, `**` matches any number of
 * segments (including none), `?` one character that is not `/`. `decision/*`, `**`, `**\/db`.
 */
export function keyGlob(pattern: string): (key: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slashAfter = pattern[i + 2] === '/';
      source += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`);
  return (key) => regex.test(key);
}
