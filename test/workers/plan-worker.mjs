// Plan and claim writers through the built library, for the race and crash tests (issue 13).
// usage: node plan-worker.mjs HOME ROOM HANDLE MODE ARG...
//   add COUNT                     adds COUNT tasks, one locked write each
//   hold PATH TASK CHECKPOINT     claims PATH for TASK with a 30 s TTL, prints the claim, then waits until killed
import { Room } from '../../dist/src/room.js';
import { addTasks } from '../../dist/src/coord/plan/store.js';
import { grantClaim } from '../../dist/src/coord/claims/store.js';

const [home, roomName, handle, mode, ...args] = process.argv.slice(2);
const room = await Room.open(home, roomName);
if (mode === 'add') {
  for (let i = 0; i < Number(args[0]); i++) await addTasks(room, handle, [{ text: `task ${i} from ${handle}` }]);
} else if (mode === 'hold') {
  const { claim } = await grantClaim(room, { holder: handle, paths: [args[0]], task: args[1], checkpoint: args[2], ttl: '30s' });
  process.stdout.write(JSON.stringify(claim) + '\n');
  setInterval(() => {}, 1 << 30);
}
