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
  /** HTTP status for this error: from the exit code (see HTTP_STATUS_BY_EXIT) unless the class says otherwise. */
  get httpStatus(): number {
    return HTTP_STATUS_BY_EXIT[this.exitCode] ?? 503;
  }
  /** Structured facts a machine caller can act on (e.g. a claim's holder and expiry); sent beside code and message. */
  get data(): Record<string, unknown> | undefined {
    return undefined;
  }
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
  override get httpStatus(): number {
    return 413;
  }
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'value_too_large';
}

export class RoomNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'room_not_found';
}

export class RoomExistsError extends MyceliumError {
  override get httpStatus(): number {
    return 409;
  }
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
    (code === 'EACCES' || code === 'EPERM') && action === 'read'
      ? `give yourself read access (chmod u+r '${path}') or set MYCELIUM_HOME to a home you can read`
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR'
      ? 'check that the folder is writable or set MYCELIUM_HOME to one that is'
      : code === 'ENOSPC'
        ? 'free some disk space and retry'
        : 'check the path and retry';
  return new IoError(`cannot ${action} ${path} (${code}); ${hint}`);
}

/** A write guarded by a content hash (HTTP If-Match, sync base hash) found the memory changed meanwhile. */
export class PreconditionFailedError extends MyceliumError {
  override get httpStatus(): number {
    return 412;
  }
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

// --- negotiation (issue 14) ---

/**
 * An offer, reply or position the mediator refuses (invented key, value outside the options, a
 * counter out of turn): the agent's slot stays open. `validKeys` lists what would have counted.
 */
export class NegotiationInputError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code: string = 'invalid_offer';
  constructor(
    message: string,
    readonly validKeys?: string[],
    code?: string,
  ) {
    super(message);
    if (code) this.code = code;
  }
}

/** `negotiate respond/propose/status` with no open session in the room. */
export class SessionNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'no_session';
}

/** A session file (session.md, a position or a reply) that no longer reads as one: refused, never guessed at. */
export class SessionCorruptError extends MyceliumError {
  override readonly exitCode = ExitCode.io;
  override readonly code = 'session_corrupt';
}

/** A write the session's state does not allow now (a second reply in a round, open while a session runs). */
export class SessionConflictError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'session_conflict';
}

// --- plan and claims (issue 13) ---

/** A task id that names no task in `plan/tasks.md`; the message suggests the closest id. */
export class TaskNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'task_not_found';
}

/** A task that is empty, too long, or has a line break; or a bad `--needs` list. */
export class InvalidTaskError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'invalid_task';
}

/** A dependency that would make a cycle (the message names it), including a task that needs itself. */
export class DependencyCycleError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'dependency_cycle';
}

/** Claiming a task another agent holds, or one that is done or dropped. */
export class TaskClaimedError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'task_claimed';
}

/** A claim id that names no claim file in the room. */
export class ClaimNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'claim_not_found';
}

/** A claim whose paths overlap a live claim held by someone else (the message names holder and claim). */
export class ClaimConflictError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'claim_conflict';
}

/** Releasing, renewing or handing off a claim that another agent holds. */
export class ClaimNotYoursError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'claim_not_yours';
}

/** A release, renew or handoff that names an epoch the claim no longer has (it was renewed or handed off). */
export class StaleEpochError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'stale_epoch';
}

/** A TTL that is not a positive duration such as 90s, 30m, 2h, 7d. */
export class InvalidTtlError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'invalid_ttl';
}

// --- agent loop: digest, hooks, launch (issue 15) ---

/** `launch` was given a command that cannot be started. */
export class LaunchFailedError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'launch_failed';
}

// --- hardening (issue 10) ---

/** A path in a room that is a symlink, or not a regular file (FIFO, socket, device): never followed or opened. */
export class UnsafeFileError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'unsafe_file';
}

// --- web page (issue 16) ---

/** A request whose Host header names neither the bound address nor localhost (DNS rebinding) on a loopback server. */
export class HostNotAllowedError extends MyceliumError {
  override get httpStatus(): number {
    return 421;
  }
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'host_not_allowed';
}

/** A state-changing request from another site, or a cookie-borne one that does not say where it came from (CSRF). */
export class CrossOriginError extends MyceliumError {
  override get httpStatus(): number {
    return 403;
  }
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'cross_origin';
}

/** A person asked to release someone else's claim that is not stale: it is live and its holder was seen lately. */
export class ClaimNotStaleError extends MyceliumError {
  override readonly exitCode = ExitCode.conflict;
  override readonly code = 'claim_not_stale';
}

// --- synthesis (issue 17) ---

/** The configured `[llm] command` failed, timed out or printed nothing; synthesis falls back to the digest. */
export class LlmFailedError extends MyceliumError {
  override readonly exitCode = ExitCode.io;
  override readonly code = 'llm_failed';
}

/** `room synthesize --llm` with no `[llm] command` in config.toml. */
export class LlmNotConfiguredError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'llm_not_configured';
}

// --- one error shape for every face (issue 9) ---

/** HTTP status per exit code: not found 404, invalid input 400, conflict 409, I/O or environment 503. */
export const HTTP_STATUS_BY_EXIT: Record<number, number> = {
  [ExitCode.notFound]: 404,
  [ExitCode.invalid]: 400,
  [ExitCode.conflict]: 409,
  [ExitCode.io]: 503,
};

/** What every face sends for an error: the HTTP body, the IPC reply's `error`, the MCP tool error. */
export interface ErrorReply {
  /** HTTP status (500 only for errors that are no MyceliumError: bugs). */
  status: number;
  /** The CLI's exit code for it (the IPC reply carries it so a CLI client exits the same way). */
  exitCode: number;
  body: { error: string; message: string } & Record<string, unknown>;
}

/**
 * The one translation of any error into what a face sends: the code, the first line of the
 * message (what to do), the exit code, the HTTP status, and the class's structured data.
 */
export function errorReply(err: unknown): ErrorReply {
  if (err instanceof MyceliumError) {
    return { status: err.httpStatus, exitCode: err.exitCode, body: { ...(err.data ?? {}), error: err.code, message: firstLine(err) } };
  }
  return { status: 500, exitCode: ExitCode.io, body: { error: 'unexpected_error', message: firstLine(err) } };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
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

// --- JSON errors and the fix of an error (issue 10) ---

/**
 * What to do about an error. Messages read "what went wrong; what to do", so the fix is the
 * clause after the message's last "; " (null when the message names no fix).
 */
export function fixOf(message: string): string | null {
  const at = message.lastIndexOf('; ');
  return at === -1 ? null : message.slice(at + 2);
}

/** The one shape of an error under `--json` on the CLI: `{"error": {"code", "message", "fix", "exit", ...data}}`. */
export interface ErrorJson {
  error: { code: string; message: string; fix: string | null; exit: number } & Record<string, unknown>;
}

/** Any error as the CLI prints it with `--json` (built on errorReply, the one translation of errors). */
export function errorJson(err: unknown): ErrorJson {
  const reply = errorReply(err);
  const { error: code, message, ...data } = reply.body;
  const fix = err instanceof MyceliumError ? fixOf(message) : 'please report it';
  return { error: { code, message, fix, exit: reply.exitCode, ...data } };
}

/** A command line the parser refused (unknown option, missing argument, bad choice): exit 2. */
export class UsageError extends MyceliumError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'usage';
}

/** A web synthesis job id the server does not know (it ended long ago, or the server restarted). */
export class SynthesisJobNotFoundError extends MyceliumError {
  override readonly exitCode = ExitCode.notFound;
  override readonly code = 'synthesis_job_not_found';
}
