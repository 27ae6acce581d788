import type { HttpResponse } from 'uWebSockets.js';
import { SECURITY_HEADERS } from './security-headers.js';

export type Headers = ReadonlyArray<readonly [string, string]>;

/** Writes a whole response, security headers included, in one corked write. */
export function respond(res: HttpResponse, status: string, headers: Headers, body?: string | Uint8Array, head = false): void {
  // uWS (20.30 and 20.51 alike) does not count endWithoutBody as a response and aborts the process unless an abort handler is set.
  if (head) res.onAborted(() => {});
  res.cork(() => {
    res.writeStatus(status);
    for (const [name, value] of SECURITY_HEADERS) res.writeHeader(name, value);
    for (const [name, value] of headers) res.writeHeader(name, value);
    if (head) res.endWithoutBody(body === undefined ? 0 : body.length);
    else res.end(body ?? '');
  });
}

export function respondText(res: HttpResponse, status: string, text: string, extraHeaders: Headers = []): void {
  respond(res, status, [['Content-Type', 'text/plain; charset=utf-8'], ['Cache-Control', 'no-store'], ...extraHeaders], text);
}
