/**
 * The treefile of a minimal berth host: Debian 13 (trixie) with systemd, the kernel, dracut with
 * ostree-prepare-root, and Node.js 20 (the suite is trixie because bookworm's nodejs is 18, below
 * berth's floor). Tests and benchmarks write it beside their repos; operators start from it.
 */
export interface HostTreefileOptions {
  readonly ref?: string;
  readonly suite?: string;
  /** Extra packages (a second compose adds one to make an update). */
  readonly extraPackages?: readonly string[];
  /** An uncompressed initramfs with only virtio/ext4 drivers: fast under qemu TCG (default true). */
  readonly slimInitramfs?: boolean;
  readonly versionPrefix?: string;
  readonly postprocess?: readonly string[];
  /** A bundle from packBerth(), installed as /usr/lib/berth with /usr/bin/berth. */
  readonly berthBundle?: string;
}

export const HOST_PACKAGES: readonly string[] = [
  'systemd', 'systemd-sysv', 'udev', 'dbus', 'linux-image-amd64', 'dracut', 'ostree', 'ostree-boot',
  'nodejs', 'e2fsprogs', 'kmod', 'iproute2',
];

export const SLIM_INITRAMFS_ARGS: readonly string[] = [
  '--no-compress',
  '--add', 'systemd',
  '--omit', 'crypt dm lunmask nvdimm resume multipath mdraid lvm iscsi nfs plymouth',
  '--drivers', 'virtio_pci virtio_blk virtio_scsi virtio_net virtio_console ext4 sd_mod ahci 9p 9pnet_virtio',
];

export function hostTreefileYaml(o: HostTreefileOptions = {}): string {
  const lines = [
    `ref: ${JSON.stringify(o.ref ?? 'berth/${basearch}/host')}`,
    `apt-suite: ${o.suite ?? 'trixie'}`,
    'apt-sources: host',
    'apt-variant: minbase',
    `automatic-version-prefix: ${JSON.stringify(o.versionPrefix ?? '13')}`,
    'recommends: false',
    'documentation: false',
    'install-langs: [en]',
    'packages:',
    ...[...HOST_PACKAGES, ...(o.extraPackages ?? [])].map((p) => `  - ${p}`),
    'default-target: multi-user.target',
    'units: [ostree-remount.service]',
    'kernel-args: [console=ttyS0, rw]',
  ];
  if (o.berthBundle !== undefined) lines.push('add-files:', `  - [${JSON.stringify(o.berthBundle)}, /usr/lib/berth-bundle.tar]`);
  if (o.slimInitramfs ?? true) lines.push('initramfs-args:', ...SLIM_INITRAMFS_ARGS.map((a) => `  - ${JSON.stringify(a)}`));
  const post = [
    '#!/bin/sh\nset -e\npasswd -d root\necho berth > /etc/hostname\n',
    ...(o.berthBundle !== undefined ? ['#!/bin/sh\nset -e\ntar --no-overwrite-dir -xf /usr/lib/berth-bundle.tar -C /\nrm /usr/lib/berth-bundle.tar\n'] : []),
    ...(o.postprocess ?? []),
  ];
  lines.push('postprocess:', ...post.map((s) => `  - ${JSON.stringify(s)}`));
  return `${lines.join('\n')}\n`;
}
