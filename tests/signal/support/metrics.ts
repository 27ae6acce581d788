/**
 * Reading a signal process's Prometheus text in tests: one sample, and the
 * process's memory after a full garbage collection (through its inspector, which can also stop its clock).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';

/** One sample of the Prometheus text, e.g. `whisper_address_refusals_total{reason="join-rate"}`; 0 when absent (a counter never incremented). */
export function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** `/metrics`, asked from loopback (which may always read it). */
export async function metricsOf(httpUrl: string): Promise<string> {
  const response = await fetch(`${httpUrl}/metrics`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${text}`);
  return text;
}

/** Waits until `probe` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Node.js options that open a process's inspector on a port the system picks (see `inspectorPort`). */
export const INSPECTOR_ON_ANY_PORT = '--inspect=127.0.0.1:0';

/**
 * The port a process started with INSPECTOR_ON_ANY_PORT took, as it says on stderr: the system picked it and
 * the process holds it, so no other process can have taken it between a test's choice and the process's bind.
 */
export function inspectorPort(child: ChildProcess): Promise<number> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const port = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text)?.[1];
      if (!port) return;
      child.stderr!.off('data', onData);
      resolve(Number(port));
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the process exited (${code}) before its inspector listened: ${text}`)));
  });
}

/**
 * Asks a process started with `--inspect=127.0.0.1:<inspectorPort>` for a full garbage collection, then reads
 * its metrics: the heap and external memory it reports then are what it holds, not what a collection would free.
 */
export async function afterFullGc(httpUrl: string, inspectorPort: number): Promise<string> {
  await inspect(inspectorPort, 'HeapProfiler.collectGarbage');
  return metricsOf(httpUrl);
}

/**
 * Stops the monotonic clock (`performance.now`) of a process started with `--inspect`, where it stands: from
 * then on no rate bucket refills and nothing it tracks grows old, however long the test's work takes.
 */
export async function stopClock(inspectorPort: number): Promise<void> {
  const answer = await inspect(inspectorPort, 'Runtime.evaluate', {
    expression: '(() => { const stoppedAt = performance.now(); performance.now = () => stoppedAt; return typeof stoppedAt; })()',
  });
  if ((answer as { result?: { value?: string } }).result?.value !== 'number') throw new Error(`the clock did not stop: ${JSON.stringify(answer)}`);
}

/** One command of the inspector protocol, and its answer's result. */
async function inspect(inspectorPort: number, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const [target] = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const inspector = new WebSocket(target!.webSocketDebuggerUrl);
  await once(inspector, 'open');
  inspector.send(JSON.stringify({ id: 1, method, params }));
  const [message] = (await once(inspector, 'message')) as [Buffer];
  inspector.close();
  const answer = JSON.parse(message.toString()) as { result?: unknown; error?: unknown };
  if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
  return answer.result;
}
