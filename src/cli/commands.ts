import type { CommandHandler } from './context.js';

/**
 * Top-level verbs, loaded lazily so `berth ostree …` does not pay for the container engine.
 * Each subsystem adds its verbs here: name -> module exporting `run`.
 */
export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<{ run: CommandHandler }>;
}

export const COMMANDS: ReadonlyMap<string, CommandEntry> = new Map<string, CommandEntry>([
  ['version', { summary: 'Print berth’s version', load: () => import('./version.js') }],
  ['daemon', { summary: 'Run berthd: the host daemon with the Docker Engine API socket (docker CLI compatible)', load: () => import('./daemon.js') }],
  ['tour', { summary: 'A guided tour: init a repo under ./.berth, commit, log, diff, checkout', load: () => import('./tour.js') }],
  ['compose', { summary: 'Compose an OS tree from packages (compose tree) or a bootable disk (compose image)', load: () => import('./compose/compose.js') }],
  ['host', { summary: 'The atomic host: status, upgrade, deploy, rebase, rollback, kargs, cleanup, health-check', load: () => import('./host/index.js') }],
  ['admin', { summary: 'Same as `berth ostree admin` (deployments, boot entries)', load: () => import('./admin/index.js') }],
  ['db', { summary: 'Package-level diff and list of OS commits (db diff, db list)', load: () => import('./compose/db.js') }],
]);
  ['ostree', { summary: 'A drop-in for the ostree command: init, commit, checkout, refs, rev-parse, config, …', load: () => import('./ostree/index.js') }],
