import { InvalidHandleError } from '../errors.js';

/** A handle names an agent in file names (`agents/<handle>.md`), so it is a safe single path segment. */
export const HANDLE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** The characters a handle is made of; a mention ends at the first character that is not one. */
export const HANDLE_CHAR = /[a-z0-9_.-]/i;

/** Lower-cases and checks a handle; `../x`, `a/b`, empty, NUL and the like are InvalidHandleError. */
export function validateHandle(input: string): string {
  const handle = String(input ?? '').trim().toLowerCase();
  if (!HANDLE_PATTERN.test(handle) || handle.includes('..') || handle.endsWith('.')) {
    const shown = JSON.stringify(String(input ?? ''));
    throw new InvalidHandleError(
      `invalid handle ${shown}: use 1-64 characters a-z, 0-9, '-', '_', '.', starting with a letter or digit (e.g. claude-agent)`,
    );
  }
  return handle;
}

export function isValidHandle(input: string): boolean {
  try {
    validateHandle(input);
    return true;
  } catch {
    return false;
  }
}
