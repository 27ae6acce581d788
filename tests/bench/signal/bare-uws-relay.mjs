// The floor under any relay on uWebSockets.js: a server that speaks just enough of Whisper's protocol
// for the load generator (join answered with an id) and forwards each frame's bytes, unread and
// unchecked, to the socket named by its "to". No validation, no sender set, no rooms, no limits:
// what remains is the transport (uWS.js, Node.js, the kernel), which every server in the comparison pays.
import uWS from 'uWebSockets.js';
import { randomBytes } from 'node:crypto';

const sockets = new Map();
const TO = Buffer.from('"to":"');
const app = uWS.App();
app.ws('/ws', {
  compression: uWS.DISABLED,
  maxPayloadLength: 256 * 1024,
  idleTimeout: 24,
  sendPingsAutomatically: true,
  open: (ws) => {
    ws.getUserData().id = null;
  },
  message: (ws, message) => {
    const data = ws.getUserData();
    const bytes = Buffer.from(message);
    if (data.id === null) {
      data.id = randomBytes(16).toString('base64url');
      sockets.set(data.id, ws);
      ws.send(`{"type":"welcome","id":"${data.id}"}`);
      return;
    }
    const at = bytes.indexOf(TO);
    if (at < 0) return;
    sockets.get(bytes.latin1Slice(at + TO.length, at + TO.length + 22))?.send(message, false);
  },
  close: (ws) => {
    sockets.delete(ws.getUserData().id);
  },
});
app.listen('127.0.0.1', 0, (socket) => {
  console.log(JSON.stringify({ msg: 'listening', port: uWS.us_socket_local_port(socket) }));
});
