import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, CAPABILITIES_BY_NUMBER, clampRlimits, DEFAULT_CAPABILITIES, effectiveCapabilities, seccompForCaps, type SpecInput } from './oci-spec.js';

const ALL_BUT_SYS_RESOURCE = CAPABILITIES_BY_NUMBER.filter((c) => c !== 'CAP_SYS_RESOURCE');

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    args: ['/bin/sh'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false, hostname: 'abc',
    rootfs: '/r', readonlyRootfs: false, network: { mode: 'path', path: '/run/netns/x' }, pid: { mode: 'private' },
    ipc: { mode: 'private' }, uts: { mode: 'private' }, mounts: [], privileged: false, capAdd: [], capDrop: [],
    seccomp: 'default', noNewPrivileges: false, availableCaps: ALL_BUT_SYS_RESOURCE, ulimits: [],
    hostHardRlimits: { nofile: 20000, nproc: 96364 }, canRaiseRlimits: false, hostDevices: [], cgroupsPath: '/berth/x',
    ...over,
  };
}

function capMask(caps: readonly string[]): string {
  let m = 0n;
  for (const c of caps) m |= 1n << BigInt(CAPABILITIES_BY_NUMBER.indexOf(c));
  return m.toString(16).padStart(16, '0');
}

test('buildSpec() grants Docker\'s 14 default capabilities (CapEff 00000000a80425fb)', () => {
  const spec = buildSpec(input());
  assert.equal(spec.process.capabilities.bounding.length, 14);
  assert.equal(capMask(spec.process.capabilities.effective), '00000000a80425fb');
  assert.deepEqual(new Set(spec.process.capabilities.permitted), new Set(DEFAULT_CAPABILITIES));
});

test('effectiveCapabilities() applies --cap-add/--cap-drop including ALL', () => {
  assert.ok(effectiveCapabilities({ privileged: false, capAdd: ['sys_admin'], capDrop: ['NET_RAW'], availableCaps: ALL_BUT_SYS_RESOURCE }).includes('CAP_SYS_ADMIN'));
  assert.ok(!effectiveCapabilities({ privileged: false, capAdd: [], capDrop: ['NET_RAW'], availableCaps: ALL_BUT_SYS_RESOURCE }).includes('CAP_NET_RAW'));
  assert.deepEqual(effectiveCapabilities({ privileged: false, capAdd: ['CHOWN'], capDrop: ['ALL'], availableCaps: ALL_BUT_SYS_RESOURCE }), ['CAP_CHOWN']);
  // Never more than the engine holds: SYS_RESOURCE is outside its bounding set here.
  assert.ok(!effectiveCapabilities({ privileged: false, capAdd: ['ALL'], capDrop: [], availableCaps: ALL_BUT_SYS_RESOURCE }).includes('CAP_SYS_RESOURCE'));
});

test('buildSpec() masks and read-only-binds Docker\'s /proc and /sys paths, sysfs read-only', () => {
  const spec = buildSpec(input());
  assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(spec.linux.maskedPaths.includes('/sys/firmware'));
  assert.deepEqual(spec.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['mount', 'network', 'pid', 'ipc', 'uts']);
  assert.equal(spec.linux.namespaces[1]!.path, '/run/netns/x');
});

test('buildSpec() with --privileged: all held caps, no seccomp, no masks, rw sysfs, device cgroup open', () => {
  const dev = { path: '/dev/loop0', type: 'b', major: 7, minor: 0 };
  const spec = buildSpec(input({ privileged: true, hostDevices: [dev] }));
  assert.equal(spec.process.capabilities.bounding.length, ALL_BUT_SYS_RESOURCE.length);
  assert.equal(spec.linux.seccomp, undefined);
  assert.deepEqual(spec.linux.maskedPaths, []);
  assert.deepEqual(spec.linux.readonlyPaths, []);
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options!.includes('rw'));
  assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(spec.linux.devices, [dev]);
  // Namespaces stay private: --privileged is not --pid=host.
  assert.ok(spec.linux.namespaces.some((n) => n.type === 'pid'));
});

test('seccompForCaps() follows the default profile: clone3 ENOSYS and no mount without CAP_SYS_ADMIN', () => {
  const plain = seccompForCaps(DEFAULT_CAPABILITIES);
  assert.equal(plain.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(plain.defaultErrnoRet, 1);
  assert.deepEqual(plain.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const names = (s: typeof plain, action = 'SCMP_ACT_ALLOW') => new Set(s.syscalls!.filter((r) => r.action === action).flatMap((r) => r.names));
  assert.ok(!names(plain).has('mount'));
  assert.ok(names(plain).has('chroot')); // CAP_SYS_CHROOT is a default cap
  assert.ok(!names(plain).has('keyctl'));
  assert.ok(!names(plain).has('io_uring_setup'));
  assert.equal(plain.syscalls!.find((r) => r.names.includes('clone3'))!.errnoRet, 38);
  const clone = plain.syscalls!.find((r) => r.names.length === 1 && r.names[0] === 'clone')!;
  assert.deepEqual(clone.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  const admin = seccompForCaps([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
  assert.ok(names(admin).has('mount'));
  assert.ok(!admin.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
});

test('clampRlimits() never exceeds the engine\'s hard limits without CAP_SYS_RESOURCE', () => {
  const r = clampRlimits({ ulimits: [{ name: 'nofile', soft: 1048576, hard: 1048576 }, { name: 'nproc', soft: 100, hard: 200 }], hostHardRlimits: { nofile: 20000, nproc: 96364 }, canRaiseRlimits: false });
  assert.deepEqual(r, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }, { type: 'RLIMIT_NPROC', soft: 100, hard: 200 }]);
  assert.equal(clampRlimits({ ulimits: [{ name: 'nofile', soft: 5e5, hard: 5e5 }], hostHardRlimits: { nofile: 20000 }, canRaiseRlimits: true })[0]!.hard, 5e5);
  // Docker sets no rlimits unless asked: the container inherits the engine's.
  assert.equal(buildSpec(input()).process.rlimits, undefined);
});

test('buildSpec() maps -m, --cpus, --pids-limit, --read-only, no-new-privileges and host namespaces', () => {
  const spec = buildSpec(input({ memory: 64 * 1024 * 1024, nanoCpus: 1.5e9, pidsLimit: 50, readonlyRootfs: true, noNewPrivileges: true, pid: { mode: 'host' }, network: { mode: 'host' } }));
  assert.deepEqual(spec.linux.resources.memory, { limit: 64 * 1024 * 1024 });
  assert.deepEqual(spec.linux.resources.cpu, { period: 100000, quota: 150000 });
  assert.deepEqual(spec.linux.resources.pids, { limit: 50 });
  assert.equal(spec.root.readonly, true);
  assert.equal(spec.process.noNewPrivileges, true);
  assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ['mount', 'ipc', 'uts']);
});
