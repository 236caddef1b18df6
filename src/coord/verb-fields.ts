/**
 * Field readers the coordination verb schemas share (plan, claims): a verb takes a plain object
 * (CLI flags, a JSON body, MCP arguments) and reads each field through these. Kept apart from any
 * one area so a claims command does not load the plan code to read its flags.
 */
import { InvalidInputError } from '../errors.js';

type Input = Record<string, unknown>;

/** A string field (trimmed); required ones must be there. */
export function stringField(input: Input, name: string, required: true): string;
export function stringField(input: Input, name: string, required?: false): string | undefined;
export function stringField(input: Input, name: string, required = false): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw new InvalidInputError(`'${name}' is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new InvalidInputError(`'${name}' must be a string`);
  return value;
}

export function booleanField(input: Input, name: string): boolean {
  const value = input[name];
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === '') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidInputError(`'${name}' must be true or false`);
}
