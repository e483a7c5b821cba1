/** Webhooks: where the relay posts signed event notifications. */
export interface Webhook {
  id: string;
  /** null: site-wide (every account's events). */
  accountId: string | null;
  url: string;
  events: string[];
  /** HMAC key; kept in clear because the relay signs with it. */
  secret: string;
  createdAt: number;
}
