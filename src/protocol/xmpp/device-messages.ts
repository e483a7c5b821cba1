import type { DeviceMessage } from '../../domain/messages.js';
import { cancelRequest, jobNotice } from './print-codec.js';
import { pushToIq } from './push-codec.js';
import type { XmlElement } from './xml.js';

/** What a service sends down a device's session, as the stanza that carries it. */
export function encodeMessage(m: DeviceMessage, to: string, from: string): XmlElement {
  switch (m.kind) {
    case 'push':
      return pushToIq(m.req, to, from);
    case 'job':
      return jobNotice(m.jobId, to, from);
    case 'cancel':
      return cancelRequest(m.requestId, m.jobId, to, from);
  }
}
