/** The mycelium library: the CLI, HTTP and MCP faces all call these. */
export * from './errors.js';
export * from './keys.js';
export * from './codec.js';
export * from './config.js';
export * from './room.js';
export * from './rooms.js';
export { writeFileAtomic } from './fs-atomic.js';
export { withLock } from './lock.js';
export type { ChangeEvent, LoggedEvent } from './events/change-event.js';
export { readEvents, eventLogPath, type ReadEventsResult } from './events/log.js';
export { subscribe, type SubscribeOptions, type SubscribeNotice } from './watch/subscribe.js';
export { runningDaemon } from './daemon/files.js';
