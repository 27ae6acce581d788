/**
 * Liveness, readiness and metrics for orchestrators and Prometheus.
 *
 * `/healthz` and `/readyz`'s status answer anyone (a load balancer needs them). What the process
 * says about itself, `/metrics` and why it is not ready, only goes to its operators: loopback,
 * TRUSTED_PROXIES and METRICS_ALLOW, asking directly (a request a trusted proxy forwards counts as
 * its client's), or anyone who reaches METRICS_PORT, a port of its own that is not published.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { respond, respondText } from '../transport/http-response.js';
import { clientAddress, forwardedFor, isLoopback, socketAddress, type AddressList } from '../transport/client-address.js';
import type { SignalMetrics } from './metrics.js';

export interface OpsAccess {
  trustedProxies: AddressList;
  metricsAllow: AddressList;
}

/** Whether this request may read the process's own figures. */
export function mayReadMetrics(res: HttpResponse, req: HttpRequest, access: OpsAccess): boolean {
  const peer = socketAddress(Buffer.from(res.getRemoteAddressAsText()).toString());
  const hops = forwardedFor(req);
  if (hops === '') return isLoopback(peer) || access.trustedProxies.has(peer) || access.metricsAllow.has(peer);
  // Forwarded by a proxy we do not trust (one on this host, say, without TRUSTED_PROXIES): it asks for
  // someone unknown, so only METRICS_ALLOW naming the proxy itself lets it through.
  if (!access.trustedProxies.has(peer)) return access.metricsAllow.has(peer);
  // Forwarded by a trusted proxy: whoever it says asked, and a proxy is not its client.
  const client = clientAddress(peer, hops, access.trustedProxies);
  return isLoopback(client) || access.metricsAllow.has(client);
}

/**
 * `notReady` says why the process should get no new clients now (shutting down, Redis away), or null when it is ready.
 * `access` null: everyone who reaches this app may read everything (the METRICS_PORT app).
 */
export function attachOpsRoutes(app: TemplatedApp, metrics: SignalMetrics, notReady: () => string | null, access: OpsAccess | null): void {
  app.get('/healthz', (res) => respondText(res, '200 OK', 'ok'));
  app.get('/readyz', (res, req) => {
    const reason = notReady();
    if (reason === null) respondText(res, '200 OK', 'ready');
    else respondText(res, '503 Service Unavailable', access === null || mayReadMetrics(res, req, access) ? `not ready: ${reason}` : 'not ready');
  });
  app.get('/metrics', (res, req) => {
    if (access !== null && !mayReadMetrics(res, req, access)) {
      respondText(res, '403 Forbidden', 'metrics are served to loopback, TRUSTED_PROXIES and METRICS_ALLOW only');
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    metrics.registry.metrics().then(
      (text) => {
        if (!aborted) respond(res, '200 OK', [['Content-Type', metrics.registry.contentType], ['Cache-Control', 'no-store']], text);
      },
      () => {
        if (!aborted) respondText(res, '500 Internal Server Error', 'metrics unavailable');
      },
    );
  });
}

/** The main port when metrics have a port of their own: health for everyone, the rest there only. */
export function attachPublicHealth(app: TemplatedApp, notReady: () => string | null): void {
  app.get('/healthz', (res) => respondText(res, '200 OK', 'ok'));
  app.get('/readyz', (res) => {
    if (notReady() === null) respondText(res, '200 OK', 'ready');
    else respondText(res, '503 Service Unavailable', 'not ready');
  });
  app.get('/metrics', (res) => respondText(res, '404 Not Found', 'metrics are served on METRICS_PORT'));
}
