/**
 * `berth host provision`: apply a NoCloud seed (cloud-init's role) once per instance-id.
 *
 * Target: the running system (`--sysroot` omitted or `/`): /etc and /var; another sysroot: the booted
 * or else the default deployment's etc and its stateroot's var. Seed: `--seed=PATH` (a seed
 * directory, an image file or a block device), else a disk labelled cidata/CIDATA (running system
 * only), else /var/lib/cloud/seed/nocloud in the target. `--boot` (the systemd unit's mode): no seed
 * is not an error.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { exec, exists, which } from '../../core/index.js';
import {
  findSeedDevices,
  provision,
  readProvisionRecord,
  readSeedDir,
  readSeedImage,
  ProvisionSeedNotFound,
  SEED_DIR_IN_VAR,
  type LoadedSeed,
  type ProvisionRecord,
  type ProvisionTarget,
  type RenderedUnit,
} from '../../compose/index.js';
import type { Seed, SeedContainer } from '../../formats/index.js';
import type { Sysroot } from '../../sysroot/index.js';
import type { CommandContext } from '../context.js';
import { renderUnit, unitName } from '../container/generate-unit.js';
import { openSysroot } from './open.js';

/** systemd's Restart= for a Docker restart policy. */
const RESTART: Readonly<Record<SeedContainer['restart'], string>> = { no: 'no', always: 'always', 'unless-stopped': 'always', 'on-failure': 'on-failure' };

/** `berth run` arguments for a container of the seed. */
export function containerRunArgs(c: SeedContainer): string[] {
  const args: string[] = [];
  for (const e of c.env) args.push('-e', e);
  for (const p of c.ports) args.push('-p', p);
  for (const v of c.volumes) args.push('-v', v);
  if (c.user !== undefined) args.push('--user', c.user);
  if (c.workdir !== undefined) args.push('--workdir', c.workdir);
  if (c.network !== undefined) args.push('--network', c.network);
  if (c.entrypoint !== undefined) args.push('--entrypoint', c.entrypoint);
  return [...args, c.image, ...c.command];
}

/** The unit `berth generate systemd --new` would write for the container, run by the host's berth. */
export function containerUnit(c: SeedContainer, seed: Seed, berth = '/usr/bin/berth'): RenderedUnit {
  return {
    name: unitName(c.name),
    text: renderUnit({
      berth: [berth],
      name: c.name,
      runArgs: containerRunArgs(c),
      restartPolicy: RESTART[c.restart],
      stopTimeout: 10,
      environment: {},
      description: `berth container ${c.name} (provisioned, instance ${seed.metaData.instanceId})`,
    }),
  };
}

function isLive(ctx: CommandContext, sysrootPath: string | undefined): boolean {
  return path.resolve(ctx.cwd, sysrootPath ?? '/') === '/';
}

/** etc and var of the target: the running system's, or a sysroot's booted/default deployment's. */
export async function provisionTarget(ctx: CommandContext, sysrootPath: string | undefined): Promise<ProvisionTarget> {
  if (isLive(ctx, sysrootPath)) return { etc: '/etc', var: '/var', live: true };
  const s = await openSysroot(ctx, sysrootPath);
  return deploymentTarget(s);
}

export function deploymentTarget(s: Sysroot): ProvisionTarget {
  const d = s.booted ?? s.deployments[0];
  if (d === undefined) throw new ProvisionSeedNotFound(`Sysroot ${JSON.stringify(s.path)} has no deployment to provision`, { path: s.path });
  return { etc: path.join(s.deploymentDir(d), 'etc'), var: path.join(s.path, 'ostree/deploy', d.stateroot, 'var'), live: false };
}

/** /var of the status target: the running system's, or the sysroot's booted/default stateroot's. */
export function statusVarDir(s: Sysroot): string | undefined {
  if (path.resolve(s.path) === '/') return '/var';
  const d = s.booted ?? s.deployments[0];
  return d === undefined ? undefined : path.join(s.path, 'ostree/deploy', d.stateroot, 'var');
}

async function findSeed(target: ProvisionTarget, explicit: string | undefined, log: (l: string) => void): Promise<LoadedSeed | undefined> {
  if (explicit !== undefined) {
    const st = await stat(explicit).catch(() => undefined);
    if (st === undefined) throw new ProvisionSeedNotFound(`No seed at ${JSON.stringify(explicit)}`, { path: explicit });
    return st.isDirectory() ? readSeedDir(explicit) : readSeedImage(explicit);
  }
  if (target.live) {
    // Coldplugged disks are known to the kernel by now; let udev finish probing them (bounded).
    if ((await which('udevadm')) !== undefined) await exec(['udevadm', 'settle', '--timeout=10'], { check: false });
    const devices = await findSeedDevices();
    if (devices.length > 1) log(`Several seed disks (${devices.join(', ')}); using ${devices[0]}`);
    if (devices[0] !== undefined) return readSeedImage(devices[0]);
  }
  for (const dir of [SEED_DIR_IN_VAR, `${SEED_DIR_IN_VAR}-net`]) {
    const p = path.join(target.var, dir);
    if (await exists(path.join(p, 'meta-data'))) return readSeedDir(p, `dir:/var/${dir}`);
  }
  return undefined;
}

export async function provisionVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seed: { type: 'string' },
      force: { type: 'boolean', default: false },
      boot: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const log = (line: string): void => void ctx.stderr.write(`${line}\n`);
  const target = await provisionTarget(ctx, sysrootPath);
  const seedPath = values.seed === undefined ? undefined : path.resolve(ctx.cwd, values.seed);
  const loaded = await findSeed(target, seedPath, log);
  if (loaded === undefined) {
    if (values.boot) {
      ctx.stdout.write('No provisioning seed (no disk labelled cidata, no /var/lib/cloud/seed/nocloud); nothing to do\n');
      return 0;
    }
    throw new ProvisionSeedNotFound('No provisioning seed: give --seed=DIR|IMAGE, attach a disk labelled cidata, or put one in /var/lib/cloud/seed/nocloud', { path: '' });
  }
  if (values['dry-run']) {
    const s = loaded.seed;
    ctx.stdout.write(
      `Seed ${loaded.source} (instance ${s.metaData.instanceId}) is valid:\n` +
        `  hostname: ${s.hostname ?? '(unchanged)'}\n  users: ${s.users.map((u) => u.name).join(', ') || '(none)'}\n` +
        `  files: ${s.files.map((f) => f.path).join(', ') || '(none)'}\n  containers: ${s.containers.map((c) => c.name).join(', ') || '(none)'}\n` +
        `  runcmd: ${s.runcmd.length} command(s)\n`,
    );
    return 0;
  }
  const outcome = await provision(target, loaded, { renderContainerUnit: (c, seed) => containerUnit(c, seed), force: values.force, log });
  if (values.json) ctx.stdout.write(`${JSON.stringify({ changed: outcome.applied, ...outcome.record }, null, 2)}\n`);
  else if (!outcome.applied) ctx.stdout.write(`Already provisioned for instance ${outcome.record['instance-id']} (${outcome.record.applied}); nothing to do\n`);
  else ctx.stdout.write(`Provisioned instance ${outcome.record['instance-id']} from ${loaded.source}\n`);
  return 0;
}

export { readProvisionRecord, type ProvisionRecord };
