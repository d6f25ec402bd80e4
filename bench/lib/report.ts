import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** What every benchmark prints first: the figures mean nothing without the machine. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadAverage()}`;
}

/** The 1, 5 and 15 minute load averages: other work on the machine moves every figure. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(cells[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

/**
 * CPU time used so far, in seconds: by the whole machine (every core, from /proc/stat), and by
 * the processes whose command line matches each pattern (from /proc/<pid>/stat; a process that
 * exits in between is lost). Linux only; elsewhere, nothing.
 */
export function cpuSeconds(patterns: Record<string, RegExp>): {
  machine: number;
  by: Record<string, number>;
} {
  const by = Object.fromEntries(Object.keys(patterns).map((name) => [name, 0]));
  try {
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait, in USER_HZ (1/100 s).
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const machine = (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / 100;
    for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      let command: string;
      let stat: string;
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const name = Object.keys(patterns).find((key) => patterns[key]!.test(command));
      if (name) by[name]! += cpuOfStat(stat);
    }
    return { machine, by };
  } catch {
    return { machine: Number.NaN, by };
  }
}

/** CPU seconds (user + system) one process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  return cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

function cpuOfStat(stat: string): number {
  // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th, in USER_HZ.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
