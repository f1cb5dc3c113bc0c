import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchBootSector, patchCoreBlocklist } from './grub-bios.js';

test('patchBootSector() keeps the BPB and partition table, sets the core LBA and NOPs the drive check', () => {
  const boot = new Uint8Array(512).fill(0xaa);
  const mbr = new Uint8Array(512).map((_, i) => i & 0xff);
  const out = patchBootSector(boot, mbr, 2048);
  assert.deepEqual([...out.subarray(3, 0x5a)], [...mbr.subarray(3, 0x5a)]);
  assert.deepEqual([...out.subarray(0x1b8)], [...mbr.subarray(0x1b8)]);
  assert.equal(new DataView(out.buffer).getBigUint64(0x5c, true), 2048n);
  assert.deepEqual([out[0x66], out[0x67]], [0x90, 0x90]);
  assert.equal(out[0], 0xaa);
  assert.throws(() => patchBootSector(new Uint8Array(10), mbr, 1), RangeError);
});

test('patchCoreBlocklist() points diskboot at the sectors after it', () => {
  const core = new Uint8Array(512 * 40 + 100);
  const out = patchCoreBlocklist(core, 2048);
  assert.equal(out.length, 512 * 41);
  const v = new DataView(out.buffer);
  assert.equal(v.getBigUint64(500, true), 2049n);
  assert.equal(v.getUint16(508, true), 40);
  assert.equal(v.getUint16(510, true), 0x820);
});
