import { NodeUnreachable, type Bus } from './bus.js';

/** One relay alone: there is no other node to ask or tell, and it holds every lease. */
export class LocalBus implements Bus {
  constructor(readonly node = 'local') {}

  request(node: string): Promise<unknown> {
    return Promise.reject(new NodeUnreachable(node));
  }

  tell(): void {}

  serve(): void {}

  broadcast(): void {}

  onBroadcast(): void {}

  lead(_name: string, onChange: (leading: boolean) => void): void {
    onChange(true);
  }

  async close(): Promise<void> {}
}
