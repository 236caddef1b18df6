import { writeSync } from 'node:fs';

/**
 * What the commands print, written straight to file descriptors 1 and 2. Node builds
 * `process.stdout` and `process.stderr` on first use, and for a pipe (how hooks and agents run us)
 * that loads net, stream and their helpers: milliseconds of every start spent before the first
 * byte. A write here is synchronous, as Node's own writes to pipes and files are on Linux, so its
 * order with a write through the streams is kept. A reader that closed the pipe (`| head -1`) ends
 * the command quietly with exit 0, as bin/mycelium.js does for the streams.
 */
export function writeOut(text: string): void {
  writeAll(1, text);
}

export function writeErr(text: string): void {
  writeAll(2, text);
}

let pause: Int32Array | undefined;

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0);
      // A non-blocking pipe that is full: wait a millisecond for the reader, then go on.
      if (code !== 'EAGAIN') throw err;
      Atomics.wait((pause ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1);
    }
  }
}
