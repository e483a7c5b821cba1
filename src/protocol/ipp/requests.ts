import { encodeMessage, GROUP, TAG, type IppAttribute } from './codec.js';

/** An IPP request as clients send one: the operation group led by attributes-charset (utf-8) and attributes-natural-language (en), then `attributes`. */
export function ippRequest(code: number, requestId: number, attributes: IppAttribute[] = [], version: { major: number; minor: number } = { major: 2, minor: 0 }): Buffer {
  return encodeMessage({
    version,
    code,
    requestId,
    groups: [
      {
        tag: GROUP.operation,
        attributes: [
          { name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'utf-8' }] },
          { name: 'attributes-natural-language', values: [{ tag: TAG.naturalLanguage, value: 'en' }] },
          ...attributes,
        ],
      },
    ],
  });
}
