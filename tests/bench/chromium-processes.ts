/**
 * The CPU time of Chromium's processes (or Firefox's), read from /proc, for benchmarks that measure what a
 * browser (or a person's browser) costs: every process with its parent, command line and CPU seconds so far,
 * and the tree below the browser processes a benchmark started.
 */
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessCpu {
  parent: number;
  /** Its command line, as words (Chromium's child processes rewrite theirs as one string). */
  cmdline: string;
  /** utime + stime so far. */
  seconds: number;
}

/** Every process on the machine now, by pid. */
export async function readProcesses(): Promise<Map<number, ProcessCpu>> {
  const processes = new Map<number, ProcessCpu>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      // utime + stime, in clock ticks (100 per second on Linux).
      processes.set(Number(entry), { parent: Number(fields[1]), cmdline, seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // Gone meanwhile.
    }
  }
  return processes;
}

/** The browser processes (no `--type=`) that `isOurs` accepts (by command line, or by pid), and every process below them. */
export function browserTree(processes: ReadonlyMap<number, ProcessCpu>, isOurs: (cmdline: string, pid: number) => boolean): Set<number> {
  const tree = new Set([...processes].filter(([pid, p]) => !p.cmdline.includes('--type=') && isOurs(p.cmdline, pid)).map(([pid]) => pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of processes) if (!tree.has(pid) && tree.has(p.parent)) grew = tree.add(pid).size > 0;
  }
  return tree;
}
