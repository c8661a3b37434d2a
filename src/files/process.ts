// Who holds the lock on a project's files: a process id and its start time. A pid alone is not enough: after
// a reboot or a wrap-around another process may have it, and a stale journal must not block every command.
import { readFileSync } from 'node:fs';

export interface ProcessId {
  pid: number;
  /** Linux: the start time in clock ticks since boot (/proc/PID/stat, field 22); absent where unknown. */
  start?: string;
}

/** The start time of `pid` as the kernel records it; undefined when it is not running or unknown (not Linux). */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces and ')'; fields count from after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[22 - 3];
    return ticks && /^\d+$/.test(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export function thisProcess(): ProcessId {
  const start = startTime(process.pid);
  return start === undefined ? { pid: process.pid } : { pid: process.pid, start };
}

/** Whether process `pid` still runs (this one included). */
export function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote `id` still runs: the same pid, started at the same time when that is known. */
export function stillRuns(id: ProcessId): boolean {
  if (!isRunning(id.pid)) return false;
  if (id.start === undefined) return true;
  const now = startTime(id.pid);
  return now === undefined || now === id.start;
}
