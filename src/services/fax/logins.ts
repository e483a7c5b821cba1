/** Connections not logged in yet, counted in all and per client address; each count is capped. */
export class WaitingLogins {
  private readonly byAddress = new Map<string, number>();
  total = 0;

  constructor(private readonly o: { maxWaitingLogins: number; maxWaitingLoginsPerAddress: number }) {}

  fromAddress(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }

  /** Counts a new connection from the address; false (and not counted) when a cap is reached. */
  admit(address: string): boolean {
    const from = this.fromAddress(address);
    if (this.total >= this.o.maxWaitingLogins || from >= this.o.maxWaitingLoginsPerAddress) return false;
    this.total++;
    this.byAddress.set(address, from + 1);
    return true;
  }

  leave(address: string): void {
    this.total--;
    const left = this.fromAddress(address) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }
}
