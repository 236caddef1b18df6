/**
 * Every error a user can hit is a class of its own with a stable exit code,
 * so the CLI, the HTTP server and tests match on the kind, not on a message.
 */
export const ExitCode = {
  ok: 0,
  notFound: 1,
  invalid: 2,
  conflict: 3,
  io: 4,
} as const;

export class MyceliumError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = ExitCode.io;
  /** Stable machine-readable name, e.g. "invalid_key". */
  readonly code: string = 'error';
}

export class InvalidKeyError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'invalid_key';
}

export class InvalidInputError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'invalid_input';
}

export class ValueTooLargeError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'value_too_large';
}

export class RoomNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'room_not_found';
}

export class RoomExistsError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'room_exists';
}

export class RoomNotEmptyError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'room_not_empty';
}

export class NoRoomSelectedError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'no_room';
}

export class MemoryNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'memory_not_found';
}

export class ConflictError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'conflict';
}

export class IoError extends MyceliumError {
  override readonly exitCode = ExitCode.io;
  override readonly code = 'io_error';
}

/** Wraps a Node fs error into an IoError whose one-line message says what to do. */
export function ioError(action: string, path: string, err: unknown): IoError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO';
  const hint =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR'
      ? 'check that the folder is writable or set MYCELIUM_HOME to one that is'
      : code === 'ENOSPC'
        ? 'free some disk space and retry'
        : 'check the path and retry';
  return new IoError(`cannot ${action} ${path} (${code}); ${hint}`);
}

/** A write guarded by a content hash (HTTP If-Match, sync base hash) found the memory changed meanwhile. */
export class PreconditionFailedError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'precondition_failed';
}

/** A sync remote (git remote or mycelium server) could not be reached; nothing local was changed or lost. */
export class RemoteUnreachableError extends MyceliumError {
  override readonly exitCode = ExitCode.io;
  override readonly code = 'remote_unreachable';
}

/** A sync step failed and was rolled back; the room is as it was before the step. */
export class SyncFailedError extends MyceliumError {
  override readonly exitCode = ExitCode.io;
  override readonly code = 'sync_failed';
}

/** A second daemon for a home that already has one. */
export class DaemonRunningError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'daemon_running';
}

/** The daemon could not be started, reached or stopped. */
export class DaemonError extends MyceliumError {
  override readonly exitCode = ExitCode.io;
  override readonly code = 'daemon_error';
}

// --- messages and agents (issue 12) ---

/** A handle that is empty, too long, or has characters other than a-z, 0-9, '-', '_', '.'. */
export class InvalidHandleError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'invalid_handle';
}

/** `--re`, `--thread` or a message id names no message in the room. */
export class MessageNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'message_not_found';
}

/** A message that is empty, over the size limit, or of an unknown kind. */
export class InvalidMessageError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'invalid_message';
}

/** `agent` commands for a handle that has no card in the room. */
export class AgentNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'agent_not_found';
}

// --- rooms that live anywhere (issue 11) ---

/** `room add NAME DIR` names a folder that does not exist or is not a folder. */
export class RoomFolderNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'room_folder_not_found';
}

/** `room add NAME DIR` names a folder inside (or holding) the home or another room. */
export class RoomFolderOverlapError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'room_folder_overlap';
}
