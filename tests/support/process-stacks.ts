/**
 * What a hung browser leaves to read: the processes of its process group, and
 * the stacks of every thread of the ones named, taken with gdb (Debian's `gdb`;
 * the tests' system-deps.sh installs it). Debian ships no debug symbols for
 * WebKitGTK in its main archive, so WebKit's own frames show as `??` in the
 * library, between the named frames of GLib, GTK and the C library: enough to
 * tell a thread waiting in its main loop from one blocked in a wait of its own.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const GDB_PATH = process.env.GDB_PATH ?? '/usr/bin/gdb';

/** One process of the group, as ps shows it. */
export interface GroupProcess {
  pid: number;
  /** ps's STAT: R running, S sleeping, D uninterruptible, T stopped, Z zombie (with modifiers). */
  state: string;
  /** The name the kernel keeps (at most 15 characters: WebKitWebProces). */
  name: string;
  /** The whole ps line. */
  line: string;
}

export interface GroupState {
  /** ps's lines for the group, with their header. */
  processes: string;
  /** Per process, the main thread's innermost frames, one line each. */
  summary: string;
  /** gdb's `thread apply all bt` of each process named. */
  stacks: string;
}

const PS_COLUMNS = 'pid,ppid,pgid,stat,pcpu,rss,etime,wchan:24,comm';

/** The processes whose process group is `group`. */
export async function groupProcesses(group: number): Promise<{ header: string; processes: GroupProcess[] }> {
  const { stdout } = await run('ps', ['-eo', PS_COLUMNS]);
  const [header = '', ...lines] = stdout.trimEnd().split('\n');
  const processes = lines
    .map((line) => ({ line, fields: line.trim().split(/\s+/) }))
    .filter(({ fields }) => Number(fields[2]) === group)
    .map(({ line, fields }) => ({ pid: Number(fields[0]), state: fields[3] ?? '', name: fields.slice(8).join(' '), line }));
  return { header, processes };
}

/**
 * The state of process group `group` now, with the stacks of the processes whose name `named` accepts
 * (each gdb gets `timeoutMs`; they run side by side). gdb stops each process for the moment it reads it.
 */
export async function groupState(group: number, named: (name: string) => boolean, timeoutMs = 30_000): Promise<GroupState> {
  const { header, processes } = await groupProcesses(group).catch((error: unknown) => ({ header: `(ps failed: ${String(error)})`, processes: [] as GroupProcess[] }));
  const listing = [header, ...processes.map((process) => process.line)].join('\n');
  const chosen = processes.filter((process) => named(process.name) && !process.state.startsWith('Z'));
  if (!existsSync(GDB_PATH)) {
    const missing = `(no stacks: no ${GDB_PATH}; 'apt-get install -y gdb')`;
    return { processes: listing, summary: missing, stacks: missing };
  }
  const stacks = await Promise.all(chosen.map((process) => stacksOf(process.pid, timeoutMs)));
  return {
    processes: listing,
    summary: chosen.map((process, index) => `${process.name} ${process.pid} (${process.state}): ${mainThread(stacks[index]!, process.pid)}`).join('\n'),
    stacks: chosen.map((process, index) => `===== ${process.name} ${process.pid} (${process.state}) =====\n${stacks[index]}`).join('\n\n'),
  };
}

/** gdb's backtrace of every thread of `pid`, or why there is none. */
async function stacksOf(pid: number, timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run(GDB_PATH, ['-nx', '-batch', '-p', String(pid), '-ex', 'thread apply all bt'], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
      // No symbol server: nothing leaves the machine, and none would answer inside the tests' namespace.
      env: { ...process.env, DEBUGINFOD_URLS: '' },
    });
    return stdout.split('\n').filter((line) => !/^\[(New|Thread debugging)|^Using host libthread_db/.test(line)).join('\n');
  } catch (error) {
    return `(gdb failed: ${(error as Error).message.split('\n')[0]})`;
  }
}

/** The main thread's (LWP = pid) innermost frames of a `thread apply all bt`, innermost first: "poll < g_main_context_iterate < …". */
export function mainThread(backtrace: string, pid: number): string {
  const threads = backtrace.split(/\n(?=Thread \d+ )/);
  const main = threads.find((thread) => thread.includes(`(LWP ${pid})`));
  if (!main) return backtrace.startsWith('(') ? backtrace : '(no main thread in the backtrace)';
  const frames = main
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => {
      const match = /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+)(?: \(.*?\))?(?: from (\S+))?/.exec(line);
      const name = match?.[1] ?? '?';
      return name === '??' && match?.[2] ? `?? (${match[2].replace(/^.*\//, '')})` : name;
    });
  return frames.slice(0, 10).join(' < ') + (frames.length > 10 ? ' < …' : '');
}
