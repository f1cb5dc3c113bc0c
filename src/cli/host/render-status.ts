/** Pure renderers of the status model (no I/O, no clock). */
import type { DeploymentStatus, HostStatus } from './status-model.js';
import { signatureRows } from './signature-status.js';

function isoSeconds(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `ostree admin status` text, as ostree 2022.7 prints it. */
export function renderAdminStatus(status: HostStatus): string {
  if (status.deployments.length === 0) return 'No deployments.\n';
  let out = '';
  for (const d of status.deployments) {
    const mark = d.staged ? ' (staged)' : d.pending ? ' (pending)' : d.rollback ? ' (rollback)' : '';
    out += `${d.booted ? '*' : ' '} ${d.stateroot} ${d.checksum}.${d.serial}${mark}\n`;
    if (d.version !== undefined) out += `    Version: ${d.version}\n`;
    if (d.pinned) out += '    Pinned: yes\n';
    out += d.refspec === undefined ? '    origin: none\n' : `    origin refspec: ${d.refspec}\n`;
  }
  return out;
}

/** `ostree admin status --json` in the shape newer ostree prints. */
export function toAdminStatusJson(status: HostStatus): unknown {
  return {
    deployments: status.deployments.map((d) => ({
      checksum: d.checksum,
      stateroot: d.stateroot,
      ...(d.refspec !== undefined ? { refspec: d.refspec } : {}),
      serial: d.serial,
      index: d.index,
      booted: d.booted,
      pending: d.pending,
      rollback: d.rollback,
      'finalization-locked': d.staged && status.finalizationLocked,
      'soft-reboot-target': false,
      staged: d.staged,
      pinned: d.pinned,
      unlocked: 'none',
      ...(d.version !== undefined ? { version: d.version } : {}),
    })),
  };
}

/** rpm-ostree `status --json` keys (kebab-case) plus berth's auto-rollback record. */
export function toHostStatusJson(status: HostStatus): unknown {
  return {
    deployments: status.deployments.map((d) => ({
      id: `${d.stateroot}-${d.checksum}.${d.serial}`,
      osname: d.stateroot,
      serial: d.serial,
      checksum: d.checksum,
      ...(d.version !== undefined ? { version: d.version } : {}),
      timestamp: d.timestamp ?? 0,
      origin: d.refspec ?? null,
      booted: d.booted,
      staged: d.staged,
      pinned: d.pinned,
      unlocked: 'none',
      'requested-packages': [],
      'requested-local-packages': [],
      'base-removals': [],
      'base-local-replacements': [],
      'kernel-arguments': d.kargs.split(' ').filter((k) => k !== '' && !k.startsWith('ostree=')),
      ...(d.signatures !== undefined ? { 'berth-signatures': d.signatures.map((r) => ({ type: r.type, state: r.state, keys: r.keys })) } : {}),
    })),
    transaction: null,
    'cached-update': null,
    'update-driver': null,
    'berth-tentative': status.tentative ?? null,
    'berth-rolled-back': status.rolledBack ?? null,
    'berth-provision': status.provision ?? null,
  };
}

function stanza(d: DeploymentStatus, verbose: boolean): string[] {
  const rows: Array<[string, string]> = [];
  if (d.version !== undefined) rows.push(['Version', d.timestamp !== undefined ? `${d.version} (${isoSeconds(d.timestamp)})` : d.version]);
  else if (d.timestamp !== undefined) rows.push(['Timestamp', isoSeconds(d.timestamp)]);
  rows.push(['Commit', d.checksum]);
  if (d.signatures !== undefined) rows.push(...signatureRows(d.signatures));
  if (d.staged) rows.push(['Staged', 'yes']);
  if (d.pinned) rows.push(['Pinned', 'yes']);
  if (verbose) {
    rows.push(['StateRoot', `${d.stateroot} (serial ${d.serial})`]);
    rows.push(['BootCsum', d.bootcsum]);
  }
  const width = 21;
  const head = `${d.booted ? '\u25cf' : ' '} ${d.refspec ?? d.checksum}`;
  return [head, ...rows.map(([k, v]) => `${k.padStart(width)}: ${v}`)];
}

/** rpm-ostree-style human status. */
export function renderHostStatus(status: HostStatus, options: { readonly verbose?: boolean } = {}): string {
  const lines: string[] = ['State: idle'];
  if (status.rolledBack !== undefined) {
    const r = status.rolledBack;
    lines.push(`Warning: rolled back from ${r.from} after ${r.failedBoots} failed boots: ${r.reason}`);
  }
  if (status.tentative !== undefined) {
    lines.push(`Tentative: ${status.tentative.deployment} (${status.tentative.bootsLeft} boot attempts left)`);
  }
  if (status.provision !== undefined) lines.push(...provisionLines(status.provision));
  lines.push('Deployments:');
  status.deployments.forEach((d, i) => {
    if (i > 0) lines.push('');
    lines.push(...stanza(d, options.verbose ?? false));
  });
  return `${lines.join('\n')}\n`;
}

function provisionLines(p: NonNullable<HostStatus['provision']>): string[] {
  const what = [
    ...(p.hostname !== null ? [`hostname ${p.hostname}`] : []),
    ...(p.users.length > 0 ? [`users ${p.users.map((u) => u.name).join(', ')}`] : []),
    ...(p.files.length > 0 ? [`${p.files.length} file${p.files.length === 1 ? '' : 's'}`] : []),
    ...(p.containers.length > 0 ? [`containers ${p.containers.map((c) => c.name).join(', ')}`] : []),
    ...(p.runcmd !== null ? [`runcmd ${p.runcmd.exit === null ? 'not run' : `exit ${p.runcmd.exit}`}`] : []),
  ];
  return [`Provisioned: instance ${p['instance-id']} (${p.applied}) from ${p.source}`, ...(what.length > 0 ? [`  Applied: ${what.join('; ')}`] : [])];
}
