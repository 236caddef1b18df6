/**
 * Syntheses started from the web page run as jobs of the server (issue 16): the request that starts
 * one returns at once, and the page follows the job's steps until it is done. An `[llm] command`
 * may take minutes; no request waits on it. One job at a time per room (the synthesis itself also
 * takes the room's lock, so a CLI or trigger synthesis meanwhile waits its turn).
 */
import { randomBytes } from 'node:crypto';
import { MyceliumError } from '../../errors.js';
import type { SynthesisResult, SynthesisStep } from '../../coord/synthesis/synthesize.js';

export type JobState = 'running' | 'done' | 'failed';

export interface SynthesisJob {
  id: string;
  room: string;
  state: JobState;
  /** What it is doing now (or did last), in words. */
  step: string;
  started_at: string;
  finished_at: string | null;
  /** What was written, once done. */
  result: Pick<SynthesisResult, 'key' | 'memory_count' | 'method' | 'fallback'> | null;
  /** Why it failed. */
  error: string | null;
}

/** Finished jobs kept for their pages to read; older ones are forgotten. */
const FINISHED_KEPT = 50;

export function describeStep(step: SynthesisStep): string {
  switch (step.phase) {
    case 'waiting':
      return 'waiting for any other synthesis of this room to finish';
    case 'reading':
      return 'reading the memories changed since the last synthesis';
    case 'llm':
      return `asking the LLM (${step.provider}) to sum up ${step.memories} ${step.memories === 1 ? 'memory' : 'memories'}`;
    case 'writing':
      return `writing the synthesis (${step.memories} ${step.memories === 1 ? 'memory' : 'memories'}, ${step.method})`;
  }
}

export class SynthesisJobs {
  private readonly jobs = new Map<string, SynthesisJob>();
  private readonly running = new Map<string, SynthesisJob>();

  /**
   * Starts `run` as a job for `room`, or returns the room's job already running. `run` is told how to
   * report its steps; its result or error ends the job (a non-library error is logged by `onBug`).
   */
  start(room: string, run: (progress: (step: SynthesisStep) => void) => Promise<SynthesisResult>, onBug: (err: unknown) => void = () => {}): SynthesisJob {
    const busy = this.running.get(room);
    if (busy) return busy;
    const job: SynthesisJob = { id: randomBytes(6).toString('hex'), room, state: 'running', step: 'starting', started_at: new Date().toISOString(), finished_at: null, result: null, error: null };
    this.jobs.set(job.id, job);
    this.running.set(room, job);
    const finish = (state: JobState) => {
      job.state = state;
      job.finished_at = new Date().toISOString();
      this.running.delete(room);
      this.forgetOld();
    };
    // Started after this tick, so the caller has the job before any step is told.
    setImmediate(() => {
      run((step) => (job.step = describeStep(step))).then(
        (result) => {
          job.result = { key: result.key, memory_count: result.memory_count, method: result.method, fallback: result.fallback };
          job.step = result.written ? 'done' : 'nothing written';
          finish('done');
        },
        (err: unknown) => {
          if (!(err instanceof MyceliumError)) onBug(err);
          job.error = err instanceof MyceliumError ? err.message : 'the synthesis failed unexpectedly; see the server log';
          finish('failed');
        },
      );
    });
    return job;
  }

  /** A job of this room by id. */
  get(room: string, id: string): SynthesisJob | undefined {
    const job = this.jobs.get(id);
    return job && job.room === room ? job : undefined;
  }

  /** The room's running job, if any. */
  runningIn(room: string): SynthesisJob | undefined {
    return this.running.get(room);
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.jobs.delete(job.id);
  }
}
