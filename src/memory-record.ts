import type { Memory } from './room.js';

/** The stable JSON shape of a memory record. */
export function memoryRecord(memory: Memory): Record<string, unknown> {
  return {
    room: memory.room,
    key: memory.key,
    value: memory.value,
    format: memory.format,
    version: memory.version,
    tags: memory.tags,
    created_by: memory.created_by,
    created_at: memory.created_at,
    updated_by: memory.updated_by,
    updated_at: memory.updated_at,
    path: memory.path,
    extra: memory.extra,
  };
}
