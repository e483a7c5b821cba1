/** What the benches read off a process and their samples. */
import { readFileSync } from 'node:fs';

/** The p-th percentile of an ascending list. */
export const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident memory and CPU time (user + system, in 10 ms ticks) of a process, from /proc. */
export function procStat(pid: number): { rssKiB: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssKiB, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares (performance.now()
 * counts from each process's own start): a time taken in a load process and one taken in the
 * bench subtract.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
