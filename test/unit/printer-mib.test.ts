import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OID, PrinterMib } from '../../src/device/sim/printer-mib.js';

/** The value of one object, or its error name in parentheses. */
const value = (mib: PrinterMib, oid: string): string => {
  const o = mib.get([oid])[0]!;
  return 'error' in o ? `(${o.error})` : o.value;
};

describe('simulated Printer MIB', () => {
  it('answers GET with values, noSuchObject and noSuchInstance', () => {
    const mib = new PrinterMib({ model: 'M', serial: 'S' });
    assert.deepEqual(mib.get([OID.sysName, OID.supplyLevel(1), OID.supplyLevel(3), '1.3.6.1.4.1.1.1']), [
      { oid: OID.sysName, type: 'string', value: 'S' },
      { oid: OID.supplyLevel(1), type: 'integer', value: '3000' },
      { oid: OID.supplyLevel(3), error: 'noSuchInstance' },
      { oid: '1.3.6.1.4.1.1.1', error: 'noSuchObject' },
    ]);
  });

  it('SETs all or nothing', () => {
    const mib = new PrinterMib({ model: 'M', serial: 'S' });
    const refused = mib.set([
      { oid: OID.sysContact, type: 'string', value: 'ops' },
      { oid: OID.prtMarkerLifeCount, type: 'counter32', value: '0' },
    ]);
    assert.deepEqual(refused[1], { oid: OID.prtMarkerLifeCount, error: 'notWritable' });
    assert.equal(value(mib, OID.sysContact), '', 'nothing was written');
    assert.deepEqual(mib.set([{ oid: OID.sysName, type: 'integer', value: '1' }])[0], { oid: OID.sysName, error: 'wrongType' });
    mib.set([{ oid: OID.sysContact, type: 'string', value: 'ops' }]);
    assert.equal(value(mib, OID.sysContact), 'ops');
  });

  it('prints, wears supplies, and raises and clears alerts', () => {
    const mib = new PrinterMib({ model: 'M', serial: 'S' });
    mib.print(250);
    assert.equal(value(mib, OID.prtMarkerLifeCount), '250');
    assert.equal(value(mib, OID.supplyLevel(1)), '2750');
    const i = mib.raiseAlert({ severity: 3, group: 8, groupIndex: 1, code: 8, description: 'Paper jam in tray 1' });
    assert.equal(value(mib, OID.alert(8, i)), 'Paper jam in tray 1');
    assert.equal(value(mib, OID.hrDeviceStatus), '5');
    mib.clearAlert(i);
    assert.equal(value(mib, OID.alert(8, i)), '(noSuchInstance)');
    assert.equal(value(mib, OID.hrDeviceStatus), '2');
  });
});
