/**
 * The mailbox's routes on uWebSockets.js (`/mailbox/...`, docs/protocol.md "Mailbox (server API)"): reads
 * what the request says and its body, bounded, and hands them to the MailboxService, which decides
 * everything else. Same origin only: no CORS headers, ever.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from 'pino';
import { mailboxBodyLimit, type MailboxRequest, type MailboxResponse, type MailboxService } from '../mailbox/mailbox-service.js';
import { respond } from './http-response.js';
import { addressKeys, clientAddress, forwardedFor, socketAddress, type AddressList } from './client-address.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function attachMailboxRoute(app: TemplatedApp, service: MailboxService, trustedProxies: AddressList, log: Logger): void {
  const handler = (res: HttpResponse, req: HttpRequest) => {
    // Everything is read now: uWS's request lives only during this call.
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const peer = socketAddress(Buffer.from(res.getRemoteAddressAsText()).toString());
    const request: Omit<MailboxRequest, 'body'> = {
      method,
      path,
      authorization: req.getHeader('authorization'),
      contentType: req.getHeader('content-type'),
      origin: req.getHeader('origin'),
      host: req.getHeader('host'),
      address: addressKeys(clientAddress(peer, forwardedFor(req), trustedProxies)),
    };
    let done = false;
    res.onAborted(() => {
      done = true;
    });
    const send = (response: MailboxResponse) => {
      if (done) return;
      done = true;
      respond(res, `${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trim(), response.headers, response.body);
    };
    const answer = (body: MailboxRequest['body']) =>
      service.handle({ ...request, body }).then(send, (error: unknown) => {
        log.error({ error: error instanceof Error ? error.message : String(error) }, 'mailbox request failed');
        send({ status: 500, headers: [['Content-Type', 'application/json']], body: '{"error":"unavailable","message":"internal error"}' });
      });

    const limit = mailboxBodyLimit(method, path);
    if (limit === null) {
      void answer(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    res.onData((chunk, isLast) => {
      if (answered) return;
      size += chunk.byteLength;
      if (size > limit) {
        // Answered at once: the rest of the upload is not worth waiting for.
        answered = true;
        void answer('too-large');
        return;
      }
      // uWS reuses the chunk's memory after this call: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        answered = true;
        void answer(Buffer.concat(chunks));
      }
    });
  };
  app.any('/mailbox', handler);
  app.any('/mailbox/*', handler);
}
