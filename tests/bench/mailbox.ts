/**
 * npm run bench:mailbox — issue 30's benchmark, in two halves, one after the other: in the browser
 * (mailbox-delivery.ts: Send on Alice's page to Bob's notification and to Delivered, Bob's app closed, beside
 * the same with his app open), then the server (mailbox-server.ts: deposits and fetches per second and their
 * p99, bytes stored per entry). Each half prints its progress as it goes; both tables come at the end.
 */
import { measureMailboxDelivery, mailboxDeliveryOptionsFromEnvironment, mailboxDeliveryReport } from './mailbox-delivery.js';
import { measureMailboxServer, mailboxServerOptionsFromEnvironment, mailboxServerReport } from './mailbox-server.js';

const delivery = await measureMailboxDelivery(mailboxDeliveryOptionsFromEnvironment());
const server = await measureMailboxServer(mailboxServerOptionsFromEnvironment());
console.log(`\n${mailboxDeliveryReport(delivery)}\n\n${mailboxServerReport(server)}`);
// Chromium's DevTools pipe can keep the event loop alive after the browser closed.
process.exit(0);
