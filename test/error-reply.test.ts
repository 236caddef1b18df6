import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { ExitCode, HTTP_STATUS_BY_EXIT, MyceliumError, errorReply } from '../src/errors.js';
import { FeedResetError } from '../src/server/feed.js';

/** Every error class the library exports (plus the feed's), each made with a two-line message. */
function everyErrorClass(): [string, MyceliumError][] {
  const made: [string, MyceliumError][] = [];
  for (const [name, value] of Object.entries(errors)) {
    if (typeof value !== 'function' || !(value.prototype instanceof MyceliumError)) continue;
    made.push([name, new (value as new (message: string) => MyceliumError)('what went wrong; how to fix it\nmore detail')]);
  }
  made.push(['FeedResetError', new FeedResetError('cursor too old; read from 0')]);
  return made;
}

describe('one error shape for every face', () => {
  it('no error class falls through to a 500: each has its HTTP status next to its exit code', () => {
    const all = everyErrorClass();
    expect(all.length).toBeGreaterThan(35);
    const expected: Record<string, number> = {
      ValueTooLargeError: 413, RoomExistsError: 409, PreconditionFailedError: 412, HostNotAllowedError: 421, CrossOriginError: 403, FeedResetError: 410,
    };
    for (const [name, err] of all) {
      const reply = errorReply(err);
      expect(reply.status, name).toBe(expected[name] ?? HTTP_STATUS_BY_EXIT[err.exitCode]);
      expect(reply.status, name).not.toBe(500);
      expect(reply.exitCode, name).toBe(err.exitCode);
      expect(Object.values(ExitCode), name).toContain(err.exitCode);
      expect(reply.body.error, name).toBe(err.code);
      expect(reply.body.error, name).toMatch(/^[a-z_]+$/);
      expect(reply.body.message, name).toBe(err.message.split('\n')[0]);
    }
    expect(errorReply(new errors.IoError('disk full')).status).toBe(503);
    expect(errorReply(new errors.MemoryNotFoundError('no memory')).status).toBe(404);
    expect(errorReply(new errors.RoomFolderNotFoundError('no folder /x; give an existing folder')).status).toBe(404);
    expect(errorReply(new errors.RoomFolderOverlapError('/x holds the home; pick a folder outside it')).status).toBe(400);
  });

  it('a class\'s structured data travels beside code and message; anything else is a 500 without internals', () => {
    class HeldError extends errors.ClaimConflictError {
      override get data() {
        return { holder: 'ana', expires_at: '2026-12-03T14:00:00Z' };
      }
    }
    expect(errorReply(new HeldError('src/a.ts is claimed by ana until 14:00; wait or ask ana'))).toEqual({
      status: 409,
      exitCode: ExitCode.conflict,
      body: { error: 'claim_conflict', message: 'src/a.ts is claimed by ana until 14:00; wait or ask ana', holder: 'ana', expires_at: '2026-12-03T14:00:00Z' },
    });
    expect(errorReply(new TypeError('x is undefined\n    at stack'))).toEqual({ status: 500, exitCode: ExitCode.io, body: { error: 'unexpected_error', message: 'x is undefined' } });
  });
});
