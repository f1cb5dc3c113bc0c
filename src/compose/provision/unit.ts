/**
 * The systemd unit that applies a NoCloud seed at boot (cloud-init's role), shipped with berth in
 * composed images (packBerth) and enabled statically from /usr. It runs on every boot, like
 * cloud-init: `berth host provision --boot` is a no-op when the seed's instance-id is the recorded
 * one, applies a seed whose instance-id is new, and exits 0 when there is no seed at all.
 * Ordered before logins and sshd so keys, users and the host name are in place when they start.
 */
export const PROVISION_UNIT_NAME = 'berth-provision.service';

export function provisionUnitText(berth = '/usr/bin/berth'): string {
  return [
    '# Shipped with berth: apply a NoCloud seed (a disk labelled cidata, or /var/lib/cloud/seed/nocloud)',
    '[Unit]',
    'Description=berth first-boot provisioning (NoCloud seed: host name, users, SSH keys, files, containers)',
    'After=local-fs.target systemd-remount-fs.service systemd-udev-trigger.service ostree-remount.service',
    'Before=systemd-user-sessions.service ssh.service sshd.service getty.target',
    'ConditionPathExists=!/etc/berth/provision.disabled',
    'ConditionKernelCommandLine=!berth.provision=0',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${berth} host provision --boot`,
    'TimeoutStartSec=20min',
    'StandardOutput=journal+console',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
