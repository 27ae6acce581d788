/**
 * How the component tests wait for something that happens when the browser gets to it (a write to IndexedDB, a
 * WebRTC state, the audio thread): polled until it holds. The bound is for a failure only, generous so that a
 * busy machine is never taken for a broken app: a fresh-clone run with other suites beside it took over 2 s for
 * one click.
 */
export const WAIT_MS = 20_000;

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = WAIT_MS): Promise<void> {
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
