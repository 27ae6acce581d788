/** Liveness, readiness and metrics for orchestrators and Prometheus. */
import type { TemplatedApp } from 'uWebSockets.js';
import { respond, respondText } from '../transport/http-response.js';
import type { SignalMetrics } from './metrics.js';

/** `notReady` says why the process should get no new clients now (shutting down, Redis away), or null when it is ready. */
export function attachOpsRoutes(app: TemplatedApp, metrics: SignalMetrics, notReady: () => string | null): void {
  app.get('/healthz', (res) => respondText(res, '200 OK', 'ok'));
  app.get('/readyz', (res) => {
    const reason = notReady();
    if (reason === null) respondText(res, '200 OK', 'ready');
    else respondText(res, '503 Service Unavailable', `not ready: ${reason}`);
  });
  app.get('/metrics', (res) => {
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
