import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAdminStatus, renderHostStatus, toAdminStatusJson, toHostStatusJson } from './render-status.js';
import type { DeploymentStatus, HostStatus } from './status-model.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
function dep(over: Partial<DeploymentStatus>): DeploymentStatus {
  return {
    index: 0, stateroot: 'fedora', checksum: A, serial: 0, refspec: 'fedora:fedora/x86_64/coreos/stable', version: '39.1',
    timestamp: 1_700_000_000, booted: false, staged: false, pending: false, rollback: false, pinned: false,
    kargs: 'rw quiet ostree=/ostree/boot.0/fedora/c/0', bootcsum: 'c'.repeat(64), ...over,
  };
}
const STATUS: HostStatus = {
  finalizationLocked: false,
  deployments: [dep({ index: 0, pending: true }), dep({ index: 1, checksum: B, version: '39.0', booted: true, pinned: true })],
  rolledBack: { from: `fedora/${A}.0`, to: `fedora/${B}.0`, failedBoots: 3, reason: 'sshd.check exited 1' },
};

test('renderAdminStatus() prints what ostree admin status prints', () => {
  assert.equal(
    renderAdminStatus(STATUS),
    `  fedora ${A}.0 (pending)\n    Version: 39.1\n    origin refspec: fedora:fedora/x86_64/coreos/stable\n` +
      `* fedora ${B}.0\n    Version: 39.0\n    Pinned: yes\n    origin refspec: fedora:fedora/x86_64/coreos/stable\n`,
  );
  assert.equal(renderAdminStatus({ finalizationLocked: false, deployments: [] }), 'No deployments.\n');
});

test('renderHostStatus() prints rpm-ostree stanzas with the rollback warning', () => {
  assert.equal(
    renderHostStatus(STATUS),
    [
      'State: idle',
      `Warning: rolled back from fedora/${A}.0 after 3 failed boots: sshd.check exited 1`,
      'Deployments:',
      '  fedora:fedora/x86_64/coreos/stable',
      '              Version: 39.1 (2023-11-14T22:13:20Z)',
      `               Commit: ${A}`,
      '',
      '\u25cf fedora:fedora/x86_64/coreos/stable',
      '              Version: 39.0 (2023-11-14T22:13:20Z)',
      `               Commit: ${B}`,
      '               Pinned: yes',
      '',
    ].join('\n'),
  );
});

test('toHostStatusJson() uses rpm-ostree keys; toAdminStatusJson() the newer ostree keys', () => {
  const h = toHostStatusJson(STATUS) as { deployments: Array<Record<string, unknown>>; 'berth-rolled-back': unknown };
  assert.deepEqual(Object.keys(h.deployments[1]!).slice(0, 11), ['id', 'osname', 'serial', 'checksum', 'version', 'timestamp', 'origin', 'booted', 'staged', 'pinned', 'unlocked']);
  assert.equal(h.deployments[1]!.id, `fedora-${B}.0`);
  assert.deepEqual(h.deployments[0]!['kernel-arguments'], ['rw', 'quiet']);
  assert.equal((h['berth-rolled-back'] as { failedBoots: number }).failedBoots, 3);
  const a = toAdminStatusJson(STATUS) as { deployments: Array<Record<string, unknown>> };
  assert.deepEqual(a.deployments[0], {
    checksum: A, stateroot: 'fedora', refspec: 'fedora:fedora/x86_64/coreos/stable', serial: 0, index: 0, booted: false,
    pending: true, rollback: false, 'finalization-locked': false, 'soft-reboot-target': false, staged: false, pinned: false,
    unlocked: 'none', version: '39.1',
  });
});

test('the provisioning record: a line above the deployments, berth-provision in --json', () => {
  const provision = {
    'instance-id': 'iid-7', applied: '2026-11-27T12:00:00Z', source: 'disk:/dev/vdb', 'seed-sha256': 'd'.repeat(64), hostname: 'node7',
    users: [{ name: 'alice', uid: 1000, home: '/var/home/alice', keys: 1, sudo: true }], groups: [], files: ['/etc/motd'],
    containers: [{ name: 'web', image: 'nginx', unit: 'container-web.service' }], runcmd: { commands: 2, exit: 0 }, previous: null,
  } as const;
  const status: HostStatus = { finalizationLocked: false, deployments: [dep({ booted: true })], provision };
  const text = renderHostStatus(status);
  assert.match(text, /^State: idle\nProvisioned: instance iid-7 \(2026-11-27T12:00:00Z\) from disk:\/dev\/vdb\n  Applied: hostname node7; users alice; 1 file; containers web; runcmd exit 0\nDeployments:\n/);
  assert.deepEqual((toHostStatusJson(status) as Record<string, unknown>)['berth-provision'], provision);
  assert.equal((toHostStatusJson({ finalizationLocked: false, deployments: [] }) as Record<string, unknown>)['berth-provision'], null);
  assert.doesNotMatch(renderHostStatus({ finalizationLocked: false, deployments: [] }), /Provisioned/);
});
