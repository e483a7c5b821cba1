import type { Alert } from '../../domain/alerts.js';
import type { Device } from '../../domain/devices.js';
import type { Mailer } from '../kernel/mail.js';
import type { WebhookService } from './webhooks.js';

export interface NotificationOptions {
  /** Queues (see Outbox): a failed delivery is retried there. */
  mailer: Mailer | null;
  /** Operators told of every new alert and order. */
  operatorEmails: string[];
  webhooks: WebhookService;
  onError: (what: string, err: unknown) => void;
}

/**
 * Who hears of what (seed 004): a new alert goes to the operators and to webhooks; toner low
 * also to the installing person's contact e-mail (state 1's automatic notice). Orders go to
 * operators and webhooks. Nothing here blocks the device's reply.
 */
export class Notifications {
  constructor(private readonly o: NotificationOptions) {}

  alertOpened(a: Alert, d: Device): void {
    const to = [...this.o.operatorEmails];
    if (a.type === 'consumable-low' && d.registry.contactEmail) to.push(d.registry.contactEmail);
    const where = [d.registry.installationPlace, d.registry.installer].filter(Boolean).join(', ');
    this.mail(to, `[FleetRelay] ${a.description} — ${d.model} ${d.serial}`, [
      `${a.description}`,
      '',
      `Device: ${d.model}, serial ${d.serial}${d.registry.registrationNumber ? `, registration number ${d.registry.registrationNumber}` : ''}`,
      where ? `Installed: ${where}` : '',
      d.registry.contact ? `Contact: ${d.registry.contact}` : '',
      `Reception number: ${a.lastReception}`,
    ].filter((l) => l !== '').join('\n'));
    void this.o.webhooks
      .emit(a.accountId, 'alert.opened', { alertId: a.id, type: a.type, code: a.code, description: a.description, deviceId: d.id, model: d.model, serial: d.serial, ...d.registry })
      .catch((err: unknown) => this.o.onError('webhook', err));
  }

  orderReceived(d: Device, order: { code: string; part: string; quantity: number; reception: number }): void {
    this.mail(this.o.operatorEmails, `[FleetRelay] order: ${order.quantity} × ${order.part} for ${d.model} ${d.serial}`, [
      `Order ${order.code} (${order.part}) × ${order.quantity}, reception number ${order.reception}`,
      `Device: ${d.model}, serial ${d.serial}`,
      d.registry.installationPlace ? `Installed: ${d.registry.installationPlace}` : '',
    ].filter(Boolean).join('\n'));
    void this.o.webhooks
      .emit(d.accountId, 'order.received', { ...order, deviceId: d.id, model: d.model, serial: d.serial, ...d.registry })
      .catch((err: unknown) => this.o.onError('webhook', err));
  }

  private mail(to: string[], subject: string, text: string): void {
    const mailer = this.o.mailer;
    if (!mailer || to.length === 0) return;
    mailer.send({ to, subject: subject.replace(/[\r\n]+/g, ' '), text }).catch((err: unknown) => this.o.onError('mail', err));
  }
}
