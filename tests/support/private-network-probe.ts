/**
 * Runs a probe script inside a private network namespace (in-private-network.sh), where a test may load nft
 * rules, make addresses or run servers that must not touch this machine's own network, and returns what it
 * printed last: one line of JSON.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '../..');

/** `probe` is the script's absolute path; `needs` says what to install when it fails (shown with the error). */
export async function runProbe<T>(probe: string, needs = ''): Promise<T> {
  const { stdout } = await run('bash', [join(REPO, 'tests/support/in-private-network.sh'), process.execPath, '--import', 'tsx', probe], { cwd: REPO }).catch(
    (error: { stderr?: string; message: string }) => {
      throw new Error(`the probe failed${needs ? ` (${needs})` : ''}: ${error.stderr || error.message}`);
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}
