import type { Device } from '../../domain/devices.js';
import { deviceUuid, ippPrinterState, OPERATION } from '../../domain/ipp.js';
import { OPEN_JOB_SECONDS, type PrinterState } from '../../domain/print.js';
import { TAG, type IppAttribute, type IppValue } from '../../protocol/ipp/codec.js';

/** Attribute builders: one name, one or more values of one tag. */
const one = (name: string, ...values: IppValue[]): IppAttribute => ({ name, values });
export const keyword = (name: string, ...v: string[]): IppAttribute => one(name, ...v.map((value) => ({ tag: TAG.keyword, value })));
export const integer = (name: string, ...v: number[]): IppAttribute => one(name, ...v.map((value) => ({ tag: TAG.integer, value })));
export const enumeration = (name: string, ...v: number[]): IppAttribute => one(name, ...v.map((value) => ({ tag: TAG.enum, value })));
export const boolean = (name: string, value: boolean): IppAttribute => one(name, { tag: TAG.boolean, value });
export const text = (name: string, value: string): IppAttribute => one(name, { tag: TAG.textWithoutLanguage, value });
export const nameAttr = (name: string, value: string): IppAttribute => one(name, { tag: TAG.nameWithoutLanguage, value });
export const uri = (name: string, ...v: string[]): IppAttribute => one(name, ...v.map((value) => ({ tag: TAG.uri, value })));
export const mime = (name: string, ...v: string[]): IppAttribute => one(name, ...v.map((value) => ({ tag: TAG.mimeMediaType, value })));
export const charset = (name: string, value: string): IppAttribute => one(name, { tag: TAG.charset, value });
export const language = (name: string, value: string): IppAttribute => one(name, { tag: TAG.naturalLanguage, value });
export const range = (name: string, lower: number, upper: number): IppAttribute => one(name, { tag: TAG.rangeOfInteger, value: { lower, upper } });
export const collection = (name: string, ...members: IppAttribute[][]): IppAttribute => one(name, ...members.map((value) => ({ tag: TAG.begCollection, value })));

/** Formats the relay stores and hands on: what its document sniffing accepts (application/octet-stream: sniffed). */
export const DOCUMENT_FORMATS = ['application/pdf', 'image/jpeg', 'image/png', 'text/plain', 'application/octet-stream'];

export const OPERATIONS_SUPPORTED = [OPERATION.printJob, OPERATION.validateJob, OPERATION.createJob, OPERATION.sendDocument, OPERATION.cancelJob, OPERATION.getJobAttributes, OPERATION.getJobs, OPERATION.getPrinterAttributes, OPERATION.closeJob];

/** Media the relay offers: A4 and Letter, in hundredths of millimetres (PWG 5101.1). */
const MEDIA = [
  { keyword: 'iso_a4_210x297mm', x: 21000, y: 29700 },
  { keyword: 'na_letter_8.5x11in', x: 21590, y: 27940 },
];
const mediaCol = (m: (typeof MEDIA)[number]): IppAttribute[] => [
  collection('media-size', [integer('x-dimension', m.x), integer('y-dimension', m.y)]),
  keyword('media-source', 'auto'),
  keyword('media-type', 'stationery'),
];

/**
 * The printer's description as IPP Everywhere asks for it (PWG 5100.14 §5.2), from the device's
 * registration and what it last said of its state (seed 003): `printerUri` is this printer's URI
 * as the client reached it.
 */
export function printerAttributes(o: { device: Device; state: PrinterState; online: boolean; printerUri: string; secure: boolean; moreInfo: string; upSeconds: number; now: Date }): IppAttribute[] {
  const { device: d } = o;
  const { state, reasons } = ippPrinterState({ accepting: o.state.accepting, online: o.online });
  return [
    charset('charset-configured', 'utf-8'),
    one('charset-supported', { tag: TAG.charset, value: 'utf-8' }, { tag: TAG.charset, value: 'us-ascii' }),
    keyword('compression-supported', 'none'),
    integer('copies-default', 1),
    range('copies-supported', 1, 999),
    mime('document-format-default', 'application/octet-stream'),
    mime('document-format-supported', ...DOCUMENT_FORMATS),
    language('generated-natural-language-supported', 'en'),
    keyword('ipp-features-supported', 'none'),
    keyword('ipp-versions-supported', '1.1', '2.0'),
    integer('job-priority-default', 50),
    collection('media-col-default', mediaCol(MEDIA[0]!)),
    collection('media-col-database', ...MEDIA.map(mediaCol)),
    collection('media-col-ready', ...MEDIA.map(mediaCol)),
    keyword('media-default', MEDIA[0]!.keyword),
    keyword('media-supported', ...MEDIA.map((m) => m.keyword)),
    keyword('media-ready', ...MEDIA.map((m) => m.keyword)),
    language('natural-language-configured', 'en'),
    integer('multiple-operation-time-out', OPEN_JOB_SECONDS),
    keyword('multiple-document-handling-supported', 'separate-documents-uncollated-copies', 'separate-documents-collated-copies'),
    enumeration('operations-supported', ...OPERATIONS_SUPPORTED),
    text('printer-info', d.registry.installationPlace ?? `${d.model} ${d.serial}`),
    boolean('printer-is-accepting-jobs', o.state.accepting),
    text('printer-location', d.registry.installationPlace ?? ''),
    text('printer-make-and-model', d.model),
    uri('printer-more-info', o.moreInfo),
    nameAttr('printer-name', `${d.model} ${d.serial}`),
    enumeration('printer-state', state),
    keyword('printer-state-reasons', ...reasons),
    ...(o.state.status ? [text('printer-state-message', o.state.status)] : []),
    integer('printer-up-time', Math.max(1, o.upSeconds)),
    one('printer-current-time', { tag: TAG.dateTime, value: o.now }),
    uri('printer-uri-supported', o.printerUri),
    one('printer-uuid', { tag: TAG.uri, value: `urn:uuid:${deviceUuid(d.id)}` }),
    keyword('uri-authentication-supported', 'basic'),
    keyword('uri-security-supported', o.secure ? 'tls' : 'none'),
    keyword('pdl-override-supported', 'attempted'),
    keyword('sides-default', 'one-sided'),
    keyword('sides-supported', 'one-sided', 'two-sided-long-edge', 'two-sided-short-edge'),
    keyword('print-color-mode-default', 'auto'),
    keyword('print-color-mode-supported', 'auto', 'monochrome', 'color'),
    boolean('color-supported', true),
    enumeration('finishings-default', 3),
    enumeration('finishings-supported', 3),
    enumeration('orientation-requested-default', 3),
    enumeration('orientation-requested-supported', 3, 4, 5, 6),
    keyword('output-bin-default', 'face-down'),
    keyword('output-bin-supported', 'face-down'),
    enumeration('print-quality-default', 4),
    enumeration('print-quality-supported', 3, 4, 5),
    one('printer-resolution-default', { tag: TAG.resolution, value: { x: 600, y: 600, units: 3 } }),
    one('printer-resolution-supported', { tag: TAG.resolution, value: { x: 600, y: 600, units: 3 } }),
    // The device's own figure when its capabilities give one; else the least a printer can claim.
    integer('pages-per-minute', pagesPerMinute(d)),
  ];
}

function pagesPerMinute(d: Device): number {
  const ppm = d.capabilities.pagesPerMinute;
  return typeof ppm === 'number' && Number.isInteger(ppm) && ppm > 0 && ppm < 10_000 ? ppm : 1;
}

/**
 * What Get-Printer-Attributes asks for (RFC 8011 §4.2.5.1): the names, and the groups `all`,
 * `printer-description` and `job-template`; none asked is all.
 */
export function requested(all: IppAttribute[], asked: string[] | null): IppAttribute[] {
  if (!asked || asked.includes('all') || asked.includes('printer-description')) return all;
  const names = new Set(asked);
  const template = asked.includes('job-template');
  return all.filter((a) => names.has(a.name) || (template && /-(default|supported|ready)$/.test(a.name)));
}
