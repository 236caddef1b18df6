// Sends messages through the built library, for the messages reliability tests.
// usage: node sender.mjs HOME ROOM FROM COUNT RECIPIENTS   (message i mentions RECIPIENTS[i % n])
import { Room } from '../../dist/src/room.js';
import { sendMessage } from '../../dist/src/coord/messages/store.js';

const [home, roomName, from, countText, recipients] = process.argv.slice(2);
const room = await Room.open(home, roomName);
const to = recipients.split(',');
for (let i = 0; i < Number(countText); i++) await sendMessage(room, { from, text: `@${to[i % to.length]} message ${i} from ${from}` });
