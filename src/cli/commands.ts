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
  ['repo', { summary: 'Publish an OSTree archive repository: serve DIR over HTTP (Range, ETag, caching)', load: () => import('./repo/index.js') }],
  ['host', { summary: 'The atomic host: status, upgrade, deploy, rebase, rollback, kargs, cleanup, health-check', load: () => import('./host/index.js') }],
  ['db', { summary: 'Package-level diff and list of OS commits (db diff, db list)', load: () => import('./compose/db.js') }],
  ['ostree', { summary: 'A drop-in for the ostree command: init, commit, checkout, refs, rev-parse, config, …', load: () => import('./ostree/index.js') }],
  ['pull', { summary: 'Download an image from a registry (or oci:DIR:TAG, docker-archive:FILE)', load: () => import('./image/pull.js') }],
  ['push', { summary: 'Upload an image to a registry (or to oci:DIR:TAG, docker-archive:FILE)', load: () => import('./image/push.js') }],
  ['images', { summary: 'List images', load: () => import('./image/images.js') }],
  ['rmi', { summary: 'Remove one or more images', load: () => import('./image/rmi.js') }],
  ['tag', { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: () => import('./image/tag.js') }],
  ['load', { summary: 'Load an image from a tar archive or STDIN', load: () => import('./image/load.js') }],
  ['save', { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: () => import('./image/save.js') }],
  ['login', { summary: 'Log in to a registry', load: () => import('./image/login.js') }],
  ['logout', { summary: 'Log out from a registry', load: () => import('./image/logout.js') }],
  ['image', { summary: 'Manage images: ls, rm, inspect, pull, push, tag, save, load, prune', load: () => import('./image/image.js') }],
  ['run', { summary: 'Run a command in a new container (docker run)', load: () => import('./container/verbs.js').then((m) => ({ run: m.run })) }],
  ['create', { summary: 'Create a new container', load: () => import('./container/verbs.js').then((m) => ({ run: m.create })) }],
  ['start', { summary: 'Start one or more stopped containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.start })) }],
  ['stop', { summary: 'Stop one or more running containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.stop })) }],
  ['kill', { summary: 'Kill one or more running containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.kill })) }],
  ['restart', { summary: 'Restart one or more containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.restart })) }],
  ['rm', { summary: 'Remove one or more containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.rm })) }],
  ['ps', { summary: 'List containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.ps })) }],
  ['logs', { summary: 'Fetch the logs of a container', load: () => import('./container/verbs.js').then((m) => ({ run: m.logs })) }],
  ['exec', { summary: 'Run a command in a running container', load: () => import('./container/verbs.js').then((m) => ({ run: m.exec })) }],
  ['inspect', { summary: 'Return low-level information on containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.inspect })) }],
  ['wait', { summary: 'Block until containers stop, then print their exit codes', load: () => import('./container/verbs.js').then((m) => ({ run: m.wait })) }],
  ['top', { summary: 'Display the running processes of a container', load: () => import('./container/verbs.js').then((m) => ({ run: m.top })) }],
  ['stats', { summary: 'Display resource usage of containers', load: () => import('./container/verbs.js').then((m) => ({ run: m.stats })) }],
  ['cp', { summary: 'Copy files between a container and the host (tar streams)', load: () => import('./container/verbs.js').then((m) => ({ run: m.cp })) }],
  ['port', { summary: 'List port mappings of a container', load: () => import('./container/verbs.js').then((m) => ({ run: m.port })) }],
  ['rename', { summary: 'Rename a container', load: () => import('./container/verbs.js').then((m) => ({ run: m.rename })) }],
  ['container', { summary: 'Manage containers: ls, run, prune, runlabel RUN|INSTALL|UNINSTALL IMAGE, …', load: () => import('./container/container.js') }],
  ['install', { summary: 'Run an image\'s INSTALL label (atomic install)', load: () => import('./container/runlabel.js').then((m) => ({ run: m.install })) }],
  ['uninstall', { summary: 'Run an image\'s UNINSTALL label and remove its container (atomic uninstall)', load: () => import('./container/runlabel.js').then((m) => ({ run: m.uninstall })) }],
  ['generate', { summary: 'Generate systemd units for containers (generate systemd)', load: () => import('./container/generate.js') }],
]);
