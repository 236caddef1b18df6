import { InvalidInputError } from '../errors.js';

/** The agent hosts this build can install mycelium into. */
export const ADAPTERS = ['claude-code', 'codex', 'cursor'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

export function checkAdapterName(name: string): AdapterName {
  if (!(ADAPTERS as readonly string[]).includes(name)) {
    throw new InvalidInputError(`unknown adapter '${name}'; available: ${ADAPTERS.join(', ')}`);
  }
  return name as AdapterName;
}
