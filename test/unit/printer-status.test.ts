import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusProblem } from '../../src/domain/print.js';

describe('printer status messages that need an operator', () => {
  it('toner, ink and paper shortages are consumables; jams and faults are abnormal; the rest is fine', () => {
    const table: [string | null, string | null][] = [
      ['toner empty', 'consumable-low'],
      ['Toner  Low', 'consumable-low'],
      ['replace ink cartridge', 'consumable-low'],
      ['paper out', 'consumable-low'],
      ['paper jam', 'abnormal'],
      ['cover open', 'abnormal'],
      ['fuser error', 'abnormal'],
      ['idle', null],
      ['printing', null],
      ['warming up', null],
      ['paper loaded', null],
      [null, null],
    ];
    for (const [status, type] of table) assert.equal(statusProblem(status)?.type ?? null, type, String(status));
    assert.equal(statusProblem('Toner  Empty')?.key, statusProblem('toner empty')?.key, 'one alert per condition, however it is spelled');
  });
});
