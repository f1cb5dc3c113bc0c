import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accelArgv, probeAccel } from './qemu-vm.js';
import { tempDir } from '../core/test-support.js';

test('probeAccel() takes KVM only when /dev/kvm opens and a hardware backend is loaded', async (t) => {
  const dir = await tempDir(t);
  const device = join(dir, 'kvm');
  const sysModule = join(dir, 'module');
  await mkdir(join(sysModule, 'kvm'), { recursive: true });

  const missing = await probeAccel({ device, sysModule });
  assert.equal(missing.accel, 'tcg');
  assert.match(missing.reason ?? '', /ENOENT/);

  await writeFile(device, '');
  const bare = await probeAccel({ device, sysModule });
  assert.equal(bare.accel, 'tcg');
  assert.match(bare.reason ?? '', /not backed by kvm_intel or kvm_amd/);

  await mkdir(join(sysModule, 'kvm_pvm'));
  const pvm = await probeAccel({ device, sysModule });
  assert.equal(pvm.accel, 'tcg');
  assert.match(pvm.reason ?? '', /kvm_pvm/);

  await mkdir(join(sysModule, 'kvm_amd'));
  assert.deepEqual(await probeAccel({ device, sysModule }), { accel: 'kvm' });
});

test('accelArgv() passes the host CPU through under KVM and emulates one under TCG', () => {
  assert.deepEqual(accelArgv('kvm'), ['-accel', 'kvm', '-cpu', 'host']);
  assert.deepEqual(accelArgv('tcg'), ['-accel', 'tcg,thread=multi', '-cpu', 'qemu64']);
  assert.deepEqual(accelArgv('tcg', 'max'), ['-accel', 'tcg,thread=multi', '-cpu', 'max']);
});
