/** The CPU time a process of the machine has used, read from /proc: what a server under a benchmark spends. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU time (all threads) the process has used, in microseconds: in user space, and in the kernel on its behalf. */
export function cpuMicros(pid: number): { user: number; system: number; total: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = (Number(fields[11]) / CLOCK_TICKS_PER_SECOND) * 1e6;
  const system = (Number(fields[12]) / CLOCK_TICKS_PER_SECOND) * 1e6;
  return { user, system, total: user + system };
}
