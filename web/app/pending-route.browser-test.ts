/**
 * The room a notification's tap meant to open, against this browser's IndexedDB: written by the worker for a
 * room's address on its own origin only, taken once by the app, void once stale; and rooms read from links.
 */
import { expect } from 'chai';
import { randomId } from '../identity/random-id.js';
import { openDatabase } from '../storage/database.js';
import { PENDING_ROUTE_MS, recordPendingRoute, takePendingRoute } from './pending-route.js';
import { roomFromLink, roomFromPath } from './room-link.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => void | Promise<void>) => void;

const ORIGIN = 'https://whisper.example';
const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';

describe('pending route', () => {
  it('takes the room of the tapped notification once, and nothing after', async () => {
    const db = await openDatabase(`pending-route-${randomId(8)}`);
    await recordPendingRoute(db, `${ORIGIN}/r/${ROOM}`, ORIGIN);
    expect(await takePendingRoute(db)).to.equal(ROOM);
    expect(await takePendingRoute(db)).to.equal(null);
  });

  it('is void once the app took longer than a tap’s start to open, and gone then too', async () => {
    const db = await openDatabase(`pending-route-${randomId(8)}`);
    const tapped = Date.now();
    await recordPendingRoute(db, `${ORIGIN}/r/${ROOM}`, ORIGIN, tapped);
    expect(await takePendingRoute(db, tapped + PENDING_ROUTE_MS)).to.equal(null);
    expect(await takePendingRoute(db, tapped)).to.equal(null);
  });

  it('keeps nothing but a room on its own origin: another site, another path, a crafted id', async () => {
    const db = await openDatabase(`pending-route-${randomId(8)}`);
    for (const url of [`https://evil.example/r/${ROOM}`, `${ORIGIN}/`, `${ORIGIN}/r/${ROOM}/x`, `${ORIGIN}/r/%E0%A4%A`, `${ORIGIN}/r/short`, 'not a url']) {
      await recordPendingRoute(db, url, ORIGIN);
      expect(await takePendingRoute(db), url).to.equal(null);
    }
  });

  it('reads a room from a path, and a malformed escape as no room (not an error)', () => {
    expect(roomFromPath(`/r/${ROOM}`)).to.equal(ROOM);
    expect(roomFromPath(`/r/${ROOM}/`)).to.equal(ROOM);
    expect(roomFromPath('/r/%E0%A4%A')).to.equal(null);
    expect(roomFromPath('/')).to.equal(null);
  });

  it('reads a pasted or scanned link of this server, and says why another is refused', () => {
    expect(roomFromLink(`  ${ORIGIN}/r/${ROOM}\n`, ORIGIN)).to.deep.equal({ room: ROOM });
    expect(roomFromLink(`https://other.example/r/${ROOM}`, ORIGIN)).to.deep.equal({ problem: 'That room is on another server (other.example): open the link in the browser.' });
    expect(roomFromLink(`${ORIGIN}/settings`, ORIGIN)).to.deep.equal({ problem: 'That link names no Whisper room.' });
    expect(roomFromLink('hello', ORIGIN)).to.deep.equal({ problem: 'That is not a link. Paste the whole room link, starting with https://' });
  });
});
