import { STATUS } from '../../domain/ipp.js';
import { attr, GROUP, TAG } from '../../protocol/ipp/codec.js';
import { ServiceError } from '../../services/kernel/errors.js';
import type { PushService } from '../../services/push/push.js';
import { IDENTIFY_ACTIONS } from './attributes.js';
import { IppError, type JobAnswer, type JobRequest } from './jobs.js';

/** How long the device has to show the message. */
const IDENTIFY_TIMEOUT_SECONDS = 10;

/**
 * Identify-Printer (PWG 5100.13 §4.1): the relay writes a line on the device's console display
 * (a SET pushed down its session), the one identify action it can make a device do: asked for
 * another (flash, sound, speak), it displays instead and says so (successful-ok-ignored-or-substituted-attributes). An offline
 * device, or one that does not answer, is server-error-service-unavailable; one that refuses the
 * SET (no console display, or not writable) is client-error-not-possible.
 */
export async function identifyPrinter(push: PushService, r: JobRequest): Promise<JobAnswer> {
  const actions = attr(r.m, GROUP.operation, 'identify-actions')?.values.map((v) => String(v.value)) ?? IDENTIFY_ACTIONS;
  const substituted = actions.filter((a) => !IDENTIFY_ACTIONS.includes(a));
  const given = attr(r.m, GROUP.operation, 'message')?.values[0]?.value;
  const message = typeof given === 'string' && given.trim() ? given : `This is ${r.printer.model} ${r.printer.serial}`;
  try {
    await push.display(r.p, r.printerId, message, IDENTIFY_TIMEOUT_SECONDS);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    switch (err.problem) {
      case 'device-offline':
        throw new IppError(STATUS.serviceUnavailable, 'the printer is offline (it holds no session with the relay): it cannot identify itself now');
      case 'device-timeout':
      case 'device-busy':
        throw new IppError(STATUS.serviceUnavailable, `the printer did not show the message within ${IDENTIFY_TIMEOUT_SECONDS} s`);
      case 'device-error':
        throw new IppError(STATUS.notPossible, `the printer cannot show a message on its display: ${err.message}`.slice(0, 255));
      default:
        throw err;
    }
  }
  if (!substituted.length) return { status: STATUS.ok, message: 'successful-ok', groups: [] };
  return {
    status: STATUS.okIgnoredOrSubstituted,
    message: `shown on the printer's display instead of: ${substituted.join(', ').slice(0, 120)}`,
    groups: [{ tag: GROUP.unsupported, attributes: [{ name: 'identify-actions', values: substituted.map((value) => ({ tag: TAG.keyword, value })) }] }],
  };
}
