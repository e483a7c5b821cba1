/** Alerts raised by device reports (seed 004): opened once, counted while open, acknowledged, resolved. */
export interface Alert {
  id: number;
  deviceId: string;
  accountId: string;
  key: string;
  type: string;
  code: string | null;
  description: string;
  state: 'open' | 'acknowledged' | 'resolved';
  count: number;
  firstReception: number;
  lastReception: number;
  openedAt: number;
  updatedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
}
