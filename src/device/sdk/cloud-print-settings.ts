import type { Clock } from '../../domain/clock.js';

/**
 * The printer's cloud-print service state and its accepting-jobs messages (seed 003 §2,
 * embodiments 1–5), with time injected. What a disable does to accepting-jobs is the policy:
 *   1 'always'   — send "no" right after disconnecting (Fig. 4)
 *   2 'ask'      — ask the user (inquiry screen SC4): yes → "no", no → keep accepting (Fig. 5)
 *   3 'checkbox' — the settings screen SC5's "stop accepting print requests" box decides (Fig. 6)
 *   4 'delayed'  — send "no" only if no enable arrives within the delay, 1 h by default (Fig. 7)
 * and, whatever the policy, 5: a predicted resource shortage sends "no" while enabled, and the
 * replacement sends "yes" and resumes the interrupted job (Fig. 8).
 */
export type DisablePolicy = 'always' | 'ask' | 'checkbox' | 'delayed';

export interface PrinterActions {
  /** Acceptance (true) or acceptance-stop (false), with the current status: on enable (T122/T124), disable (T222), a shortage (T650), a new cartridge (T670). */
  sendAccepting(accepting: boolean, status?: string): Promise<void>;
  /** Opens (T120) and cuts (T220) the constant connection. */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export class CloudPrintSettings {
  enabled = false;
  /** Policy 'ask': disabled, and the inquiry screen SC4's question not answered yet. */
  inquiryPending = false;
  private cancelDelayed: (() => void) | null = null;
  private short = false;

  constructor(
    private readonly actions: PrinterActions,
    private readonly clock: Clock,
    readonly policy: DisablePolicy = 'always',
    /** Policy 'delayed': the monitoring time, which the user may set on the settings screen SC1. */
    public delayMs = 3600_000,
  ) {}

  /** Out of toner (or another resource) by the last check, until replaced (embodiment 5). */
  get resourceShort(): boolean {
    return this.short;
  }

  /** Enable instruction (T112): connect (T120), enabled (T114), acceptance with the status (T122/T124). */
  async enable(status = 'idle'): Promise<void> {
    await this.actions.connect(); // a failed connection leaves the service as it was
    this.cancelDelayed?.();
    this.cancelDelayed = null;
    this.inquiryPending = false;
    this.enabled = true;
    if (!this.short) await this.actions.sendAccepting(true, status);
  }

  /**
   * Disable instruction (T212): disconnect (T220), then accepting-jobs by the policy.
   * `answer` is the user's answer to the inquiry screen SC4 (policy 'ask'; without it the question
   * stays open for answerInquiry); `stopAccepting` is the settings screen SC5's box (policy 'checkbox').
   */
  async disable(o: { answer?: boolean; stopAccepting?: boolean } = {}): Promise<void> {
    this.enabled = false;
    await this.actions.disconnect();
    switch (this.policy) {
      case 'always':
        return this.actions.sendAccepting(false);
      case 'ask':
        this.inquiryPending = true;
        return o.answer === undefined ? undefined : this.answerInquiry(o.answer);
      case 'checkbox':
        return o.stopAccepting ? this.actions.sendAccepting(false) : undefined;
      case 'delayed':
        this.cancelDelayed = this.clock.after(this.delayMs, () => {
          this.cancelDelayed = null;
          if (!this.enabled) void this.actions.sendAccepting(false);
        });
        return;
    }
  }

  /** The inquiry screen SC4 answered: YES (T330–T334) sends acceptance-stop, NO (T340–T342) keeps the server accepting. */
  async answerInquiry(stopAccepting: boolean): Promise<void> {
    if (!this.inquiryPending) throw new Error('no question is open: the printer is not waiting for an answer');
    this.inquiryPending = false;
    if (stopAccepting) await this.actions.sendAccepting(false);
  }

  /**
   * A job notice arrived (T644): if the toner left will not cover a job of average need, stop
   * accepting more (T646/T650) — the notified job is still fetched and started. Returns whether
   * the printer is short.
   */
  async checkResources(remainingPercent: number, averageJobPercent: number): Promise<boolean> {
    if (!this.short && remainingPercent < averageJobPercent) {
      this.short = true;
      await this.actions.sendAccepting(false, 'toner low');
    }
    return this.short;
  }

  /** The cartridge was replaced (T664): accept again (T670) if enabled; the caller resumes the interrupted job (T674). */
  async resourcesRestored(status = 'idle'): Promise<void> {
    if (!this.short) return;
    this.short = false;
    if (this.enabled) await this.actions.sendAccepting(true, status);
  }
}
