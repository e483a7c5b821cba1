/**
 * The device sessions one relay process may hold, whatever carries them (BOSH, WebSocket), under
 * one cap: each session holds at least one open file, and open files are the bound.
 */
export class SessionCapacity {
  private readonly holders: (() => number)[] = [];

  constructor(readonly max: number) {}

  /** A transport's count of the sessions it holds. */
  count(holder: () => number): void {
    this.holders.push(holder);
  }

  get used(): number {
    let n = 0;
    for (const held of this.holders) n += held();
    return n;
  }

  /** New sessions this process can still take. */
  get room(): number {
    return Math.max(0, this.max - this.used);
  }
}
