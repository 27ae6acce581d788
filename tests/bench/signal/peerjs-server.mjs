// The PeerJS server (the `peer` package) as its README starts it, `PeerServer({ port, path })`,
// on loopback with room for the benchmark's connections. Plain JavaScript, so that no
// TypeScript loader sits in the measured process. Prints its port once it listens.
import { PeerServer } from 'peer';

PeerServer({ host: '127.0.0.1', port: 0, path: '/', concurrent_limit: Number(process.env.CONCURRENT_LIMIT ?? 20000) }, (server) => {
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
});
