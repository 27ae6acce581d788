/** Liveness, readiness and metrics for orchestrators and Prometheus. */
import type { TemplatedApp } from 'uWebSockets.js';
import { respond, respondText } from '../transport/http-response.js';
import type { SignalMetrics } from './metrics.js';

export function attachOpsRoutes(app: TemplatedApp, metrics: SignalMetrics, isReady: () => boolean): void {
  app.get('/healthz', (res) => respondText(res, '200 OK', 'ok'));
  app.get('/readyz', (res) => {
    if (isReady()) respondText(res, '200 OK', 'ready');
    else respondText(res, '503 Service Unavailable', 'not ready: shutting down');
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
