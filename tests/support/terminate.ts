import type { ChildProcess } from 'node:child_process';

/** Stops a server the tests started: SIGTERM, then SIGKILL if it is not gone within `graceMs`. */
export async function terminate(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
