/** The fleet over time, for the console's dashboard (issue 15). Pure. */

/** Devices online are sampled once per slot of this length; a second sample in the slot replaces the first. */
export const SAMPLE_MS = 15 * 60_000;

/** The start of the sampling slot `at` falls in. */
export const sampleSlot = (at: number): number => at - (at % SAMPLE_MS);

/** A UTC day as YYYY-MM-DD: jobs and pages are counted per day. */
export const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

export interface FleetSample {
  at: number;
  devices: number;
  online: number;
}

export interface FleetDay {
  day: string;
  jobs: number;
  pages: number;
}

/** Every day from `from` to `to` (inclusive), those without a figure as zeros, so a chart's gaps are real days. */
export function everyDay(days: FleetDay[], from: number, to: number): FleetDay[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out: FleetDay[] = [];
  for (let t = from - (from % 86400_000); t <= to; t += 86400_000) out.push(byDay.get(dayOf(t)) ?? { day: dayOf(t), jobs: 0, pages: 0 });
  return out;
}
