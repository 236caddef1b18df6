// Writes memories through the built library, for the concurrency and crash tests.
// usage: node writer.mjs HOME ROOM MODE ARG...
//   distinct PREFIX COUNT     sets PREFIX/0 … PREFIX/COUNT-1
//   same KEY COUNT            sets KEY COUNT times
//   forever KEY SIZE          sets KEY to SIZE bytes of a, b, a, … until killed
import { Room } from '../../dist/src/index.js';

const [home, roomName, mode, arg, countText] = process.argv.slice(2);
const room = await Room.open(home, roomName);
const count = Number(countText);
const handle = `writer-${process.pid}`;
if (mode === 'distinct') {
  for (let i = 0; i < count; i++) await room.set(`${arg}/${i}`, `value ${i} from ${arg}\n`, { handle });
} else if (mode === 'same') {
  for (let i = 0; i < count; i++) await room.set(arg, `write ${i} by ${handle}`, { handle });
} else if (mode === 'forever') {
  // 'ready' once the file exists, so a kill from then on lands in the middle of a later write.
  await room.set(arg, 'a'.repeat(count), { handle });
  process.stdout.write('ready\n');
  for (let i = 1; ; i++) await room.set(arg, (i % 2 ? 'b' : 'a').repeat(count), { handle });
}
