import type { Device } from '../../domain/devices.js';
import { deviceUuid, ippPrinterState, OPERATION } from '../../domain/ipp.js';
import { OPEN_JOB_SECONDS, type PrinterState } from '../../domain/print.js';
import type { Supply } from '../../domain/status.js';
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

/**
 * Formats the relay stores and hands on: what its document sniffing accepts (application/octet-stream:
 * sniffed). Not image/urf (Apple Raster): the relay does not recognise it.
 */
export const DOCUMENT_FORMATS = ['application/pdf', 'image/jpeg', 'image/png', 'image/pwg-raster', 'text/plain', 'application/octet-stream'];
/** The same formats as IEEE 1284 command sets, for printer-device-id. */
const COMMAND_SETS = ['PDF', 'PWGRaster', 'JPEG', 'PNG', 'TXT'];

export const OPERATIONS_SUPPORTED = [
  OPERATION.printJob, OPERATION.validateJob, OPERATION.createJob, OPERATION.sendDocument, OPERATION.cancelJob, OPERATION.getJobAttributes,
  OPERATION.getJobs, OPERATION.getPrinterAttributes, OPERATION.cancelMyJobs, OPERATION.closeJob, OPERATION.identifyPrinter,
];

/**
 * The job template attributes a job's ticket carries to the printer (seed 002's print settings):
 * what job-creation-attributes-supported lists. Others are named as ignored.
 */
export const TICKET_ATTRIBUTES = ['copies', 'media', 'page-ranges', 'print-color-mode', 'print-quality', 'sides'];

/** How a device shows which printer it is (Identify-Printer): its console's display (Printer MIB prtConsoleDisplayBufferText). */
export const IDENTIFY_ACTIONS = ['display'];

/** Media the relay offers: A4 and Letter, in hundredths of millimetres (PWG 5101.1). */
const MEDIA = [
  { keyword: 'iso_a4_210x297mm', x: 21000, y: 29700 },
  { keyword: 'na_letter_8.5x11in', x: 21590, y: 27940 },
];
/**
 * Margins a client should leave, in hundredths of millimetres: the device's `marginHundredthsMm`
 * capability when it gives one; else a quarter inch, inside what office printers can all reach
 * (the relay hands documents on as they come and does not know the device's own).
 */
const DEFAULT_MARGIN = 635;
const mediaSize = (m: (typeof MEDIA)[number]): IppAttribute[] => [integer('x-dimension', m.x), integer('y-dimension', m.y)];
const mediaCol = (m: (typeof MEDIA)[number], margin: number): IppAttribute[] => [
  collection('media-size', mediaSize(m)),
  integer('media-bottom-margin', margin),
  integer('media-left-margin', margin),
  integer('media-right-margin', margin),
  integer('media-top-margin', margin),
  keyword('media-source', 'auto'),
  keyword('media-type', 'stationery'),
];

/** What the description is drawn from besides the device: its account, last known status, the relay's own figures. */
export interface PrinterFacts {
  device: Device;
  state: PrinterState;
  online: boolean;
  /** This printer's URI as the client reached it. */
  printerUri: string;
  secure: boolean;
  moreInfo: string;
  /** The printer's icon (served by the relay). */
  icon: string;
  /** The device's account, by name. */
  organization: string;
  /** Jobs not finished, and jobs still waiting for their document. */
  queuedJobs: number;
  /** Supplies as the last status poll found them (issue 15); empty when none has. */
  supplies: Supply[];
  upSeconds: number;
  upSince: number;
  now: Date;
}

/**
 * The printer's description as IPP Everywhere asks for it (PWG 5100.14 §5.2), from the device's
 * registration and what it last said of its state (seed 003).
 */
export function printerAttributes(o: PrinterFacts): IppAttribute[] {
  const { device: d } = o;
  const { state, reasons } = ippPrinterState({ accepting: o.state.accepting, online: o.online });
  const margin = marginOf(d);
  const since = (t: number) => Math.max(0, Math.round((t - o.upSince) / 1000));
  const stateChanged = Math.max(o.state.updatedAt, d.createdAt);
  return [
    charset('charset-configured', 'utf-8'),
    one('charset-supported', { tag: TAG.charset, value: 'utf-8' }, { tag: TAG.charset, value: 'us-ascii' }),
    keyword('compression-supported', 'none'),
    integer('copies-default', 1),
    range('copies-supported', 1, 999),
    mime('document-format-default', 'application/octet-stream'),
    mime('document-format-supported', ...DOCUMENT_FORMATS),
    language('generated-natural-language-supported', 'en'),
    keyword('identify-actions-default', ...IDENTIFY_ACTIONS),
    keyword('identify-actions-supported', ...IDENTIFY_ACTIONS),
    keyword('ipp-features-supported', 'ipp-everywhere'),
    keyword('ipp-versions-supported', '1.1', '2.0'),
    keyword('job-creation-attributes-supported', ...TICKET_ATTRIBUTES),
    boolean('job-ids-supported', true),
    integer('job-priority-default', 50),
    integer('job-priority-supported', 1),
    collection('media-col-default', mediaCol(MEDIA[0]!, margin)),
    collection('media-col-database', ...MEDIA.map((m) => mediaCol(m, margin))),
    collection('media-col-ready', ...MEDIA.map((m) => mediaCol(m, margin))),
    keyword('media-col-supported', 'media-bottom-margin', 'media-left-margin', 'media-right-margin', 'media-size', 'media-source', 'media-top-margin', 'media-type'),
    keyword('media-default', MEDIA[0]!.keyword),
    keyword('media-supported', ...MEDIA.map((m) => m.keyword)),
    keyword('media-ready', ...MEDIA.map((m) => m.keyword)),
    integer('media-bottom-margin-supported', margin),
    integer('media-left-margin-supported', margin),
    integer('media-right-margin-supported', margin),
    integer('media-top-margin-supported', margin),
    collection('media-size-supported', ...MEDIA.map(mediaSize)),
    keyword('media-source-supported', 'auto'),
    keyword('media-type-supported', 'stationery'),
    boolean('multiple-document-jobs-supported', false),
    language('natural-language-configured', 'en'),
    integer('multiple-operation-time-out', OPEN_JOB_SECONDS),
    // A job made by Create-Job whose document does not come in time is dropped.
    keyword('multiple-operation-time-out-action', 'abort-job'),
    keyword('multiple-document-handling-supported', 'separate-documents-uncollated-copies', 'separate-documents-collated-copies'),
    enumeration('operations-supported', ...OPERATIONS_SUPPORTED),
    // Selectors of PWG 5100.6 overrides; `overrides` itself is not in job-creation-attributes-supported: one ignored is named.
    keyword('overrides-supported', 'document-number', 'pages'),
    boolean('page-ranges-supported', true),
    boolean('preferred-attributes-supported', false),
    text('printer-info', d.registry.installationPlace ?? `${d.model} ${d.serial}`),
    boolean('printer-is-accepting-jobs', o.state.accepting),
    text('printer-location', d.registry.installationPlace ?? ''),
    text('printer-make-and-model', d.model),
    uri('printer-more-info', o.moreInfo),
    nameAttr('printer-name', `${d.model} ${d.serial}`),
    enumeration('printer-state', state),
    keyword('printer-state-reasons', ...reasons),
    ...(o.state.status ? [text('printer-state-message', o.state.status)] : []),
    one('printer-state-change-date-time', { tag: TAG.dateTime, value: new Date(stateChanged) }),
    integer('printer-state-change-time', since(stateChanged)),
    one('printer-config-change-date-time', { tag: TAG.dateTime, value: new Date(d.updatedAt) }),
    integer('printer-config-change-time', since(d.updatedAt)),
    text('printer-device-id', deviceId(d)),
    // Where the device stands is not something the relay knows.
    one('printer-geo-location', { tag: TAG.unknown, value: null }),
    keyword('printer-get-attributes-supported', 'document-format'),
    uri('printer-icons', o.icon),
    text('printer-organization', o.organization),
    text('printer-organizational-unit', ''),
    ...supplyAttributes(o.supplies),
    uri('printer-supply-info-uri', o.moreInfo),
    integer('printer-up-time', Math.max(1, o.upSeconds)),
    one('printer-current-time', { tag: TAG.dateTime, value: o.now }),
    uri('printer-uri-supported', o.printerUri),
    one('printer-uuid', { tag: TAG.uri, value: `urn:uuid:${deviceUuid(d.id)}` }),
    integer('queued-job-count', o.queuedJobs),
    keyword('uri-authentication-supported', 'basic'),
    keyword('uri-security-supported', o.secure ? 'tls' : 'none'),
    keyword('pdl-override-supported', 'attempted'),
    keyword('sides-default', 'one-sided'),
    keyword('sides-supported', 'one-sided', 'two-sided-long-edge', 'two-sided-short-edge'),
    keyword('print-color-mode-default', 'auto'),
    keyword('print-color-mode-supported', 'auto', 'monochrome', 'color'),
    // The relay hands the document on untouched: the device decides how to render it.
    keyword('print-content-optimize-default', 'auto'),
    keyword('print-content-optimize-supported', 'auto'),
    keyword('print-rendering-intent-default', 'auto'),
    keyword('print-rendering-intent-supported', 'auto'),
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
    // PWG Raster a client may render: at printer-resolution's 600 dpi or half of it, grey or colour (handed on as it comes).
    one('pwg-raster-document-resolution-supported', { tag: TAG.resolution, value: { x: 300, y: 300, units: 3 } }, { tag: TAG.resolution, value: { x: 600, y: 600, units: 3 } }),
    keyword('pwg-raster-document-sheet-back', 'normal'),
    keyword('pwg-raster-document-type-supported', 'sgray_8', 'srgb_8'),
    keyword('which-jobs-supported', ...WHICH_JOBS),
    // The device's own figure when its capabilities give one; else the least a printer can claim.
    integer('pages-per-minute', pagesPerMinute(d, 'pagesPerMinute')),
    integer('pages-per-minute-color', pagesPerMinute(d, 'pagesPerMinuteColor') ?? pagesPerMinute(d, 'pagesPerMinute')),
  ];
}

/** Get-Jobs' which-jobs the relay answers. */
export const WHICH_JOBS = ['not-completed', 'completed', 'all'];

function marginOf(d: Device): number {
  const m = d.capabilities.marginHundredthsMm;
  return typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 5000 ? m : DEFAULT_MARGIN;
}

/** IEEE 1284 device ID: manufacturer (the device's `manufacturer` capability, else unknown), model, the formats it takes. */
export function deviceId(d: Device): string {
  const field = (v: string) => v.replace(/[;:\x00-\x1f]/g, ' ').trim().slice(0, 64) || 'Unknown';
  const make = typeof d.capabilities.manufacturer === 'string' ? d.capabilities.manufacturer : 'Unknown';
  return `MFG:${field(make)};MDL:${field(d.model)};CMD:${COMMAND_SETS.join(',')};SN:${field(d.serial)};`;
}

/** printer-supply values (PWG 5100.13 §6.5.4) and descriptions; one supply of unknown level until a status poll finds them. */
function supplyAttributes(supplies: Supply[]): IppAttribute[] {
  const rows = supplies.length
    ? supplies.map((s) => ({ value: supplyValue(s), description: s.description || s.kind }))
    : [{ value: 'index=1;class=other;type=other;unit=percent;maxcapacity=100;level=-2;', description: 'supplies not yet polled' }];
  return [
    one('printer-supply', ...rows.map((r) => ({ tag: TAG.octetString, value: Buffer.from(r.value, 'latin1') }))),
    one('printer-supply-description', ...rows.map((r) => ({ tag: TAG.textWithoutLanguage, value: r.description }))),
  ];
}

function supplyValue(s: Supply): string {
  const filled = s.kind.startsWith('waste');
  const colour = s.colour ? `colorantname=${s.colour};` : '';
  return `index=${s.index};class=${filled ? 'receptacleThatIsFilled' : 'supplyThatIsConsumed'};type=${s.kind};unit=percent;maxcapacity=100;level=${s.percent ?? -2};${colour}`;
}

function pagesPerMinute(d: Device, capability: 'pagesPerMinute'): number;
function pagesPerMinute(d: Device, capability: 'pagesPerMinuteColor'): number | undefined;
function pagesPerMinute(d: Device, capability: string): number | undefined {
  const ppm = d.capabilities[capability];
  if (typeof ppm === 'number' && Number.isInteger(ppm) && ppm > 0 && ppm < 10_000) return ppm;
  return capability === 'pagesPerMinute' ? 1 : undefined;
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
