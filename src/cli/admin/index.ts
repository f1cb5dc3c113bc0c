/**
 * `berth ostree admin …`: a drop-in for `ostree admin` (2022.7 arguments and output) over
 * berth's sysroot library. Thin: parse, call the library, print.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidArgument } from '../../core/index.js';
import { appendKarg, appendKargIfMissing, formatKargs, parseKargs, replaceKarg, type Karg } from '../../formats/bls-kargs.js';
import { originForRefspec, originSet, parseOrigin } from '../../formats/origin.js';
import {
  cleanup,
  DeploymentNotFound,
  deploy,
  finalizeStaged,
  isFinalizationLocked,
  isValidStateroot,
  readOriginFile,
  stage,
  StaterootExists,
  type Sysroot,
  writeDeployments,
  BootedDeploymentRemoval,
  deploymentId,
  sameDeployment,
  setKargsInPlace,
  NotBooted,
} from '../../sysroot/index.js';
import type { CommandContext } from '../context.js';
import { Repo, addRemote } from '../../ostree/index.js';
import { openSysroot, takeSysroot, withSysrootLock } from '../host/open.js';
import { buildStatus } from '../host/status-model.js';
import { renderAdminStatus, toAdminStatusJson } from '../host/render-status.js';
import { formatOrigin } from '../../formats/origin.js';
import { writeFileAtomic } from '../../core/index.js';

const USAGE = `Usage: berth ostree admin [--sysroot=PATH] COMMAND

Commands:
  cleanup           Delete untagged deployments and repository objects
  deploy            Checkout revision REFSPEC as the new default deployment
  finalize-staged   Finalize a staged deployment (normally run at shutdown)
  init-fs           Initialize a root filesystem
  kargs             Change kernel arguments (edit-in-place)
  os-init           Initialize empty state for given operating system (alias: stateroot-init)
  pin               Change the "pinning" state of a deployment
  set-origin        Set Origin and create a new origin file
  status            List deployments
  undeploy          Delete deployment INDEX
`;

type Verb = (argv: string[], ctx: CommandContext, sysroot: string | undefined) => Promise<number>;

const VERBS: Record<string, Verb> = {
  'init-fs': initFs,
  'os-init': osInit,
  'stateroot-init': osInit,
  deploy: deployVerb,
  status: statusVerb,
  undeploy: undeployVerb,
  cleanup: cleanupVerb,
  pin: pinVerb,
  'set-origin': setOriginVerb,
  kargs: kargsVerb,
  'finalize-staged': finalizeVerb,
};

export async function runAdmin(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { sysroot, rest } = takeSysroot(argv);
  const verb = rest[0];
  if (verb === undefined || verb === '--help' || verb === '-h') {
    (verb === undefined ? ctx.stderr : ctx.stdout).write(USAGE);
    return verb === undefined ? 1 : 0;
  }
  const fn = VERBS[verb];
  if (fn === undefined) {
    ctx.stderr.write(`error: Unknown admin command ${JSON.stringify(verb)}\n${USAGE}`);
    return 1;
  }
  // Like ostree: every verb that writes to an existing sysroot holds ostree/lock (status and init-fs do not).
  if (!UNLOCKED_VERBS.has(verb)) return withSysrootLock(ctx, sysroot, () => fn(rest.slice(1), ctx, sysroot));
  return fn(rest.slice(1), ctx, sysroot);
}

const UNLOCKED_VERBS = new Set(['status', 'init-fs', 'os-init', 'stateroot-init']);


async function initFs(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { modern: { type: 'boolean' } } });
  const dir = positionals[0];
  if (dir === undefined) throw new InvalidArgument('PATH must be specified', {});
  const root = path.resolve(ctx.cwd, dir);
  await fsp.access(root).catch((e: unknown) => {
    throw new InvalidArgument(`opendir(${dir}): No such file or directory`, { path: dir }, { cause: e });
  });
  // init-fs (ot-admin-builtin-init-fs.c): the toplevel dirs, then ostree/repo and ostree/deploy.
  const dirs: Array<[string, number]> = values.modern === true
    ? [['boot', 0o755]]
    : [['boot', 0o755], ['dev', 0o755], ['home', 0o755], ['proc', 0o755], ['run', 0o755], ['sys', 0o755], ['root', 0o700], ['tmp', 0o1777]];
  for (const [d, mode] of dirs) {
    await fsp.mkdir(path.join(root, d), { recursive: true });
    await fsp.chmod(path.join(root, d), mode);
  }
  await fsp.mkdir(path.join(root, 'ostree/deploy'), { recursive: true, mode: 0o755 });
  const repo = path.join(root, 'ostree/repo');
  try {
    await fsp.access(path.join(repo, 'config'));
  } catch {
    await initBareRepo(repo);
  }
  return 0;
}

/** The sysroot's system repository: bare, as `ostree admin init-fs` makes it. */
async function initBareRepo(repo: string): Promise<void> {
  await Repo.init(repo, { mode: 'bare' });
}

async function osInit(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const name = positionals[0];
  if (name === undefined || !isValidStateroot(name)) throw new InvalidArgument('"OSNAME" must be specified', {});
  const root = path.resolve(ctx.cwd, sysrootPath ?? '/');
  const base = path.join(root, 'ostree/deploy', name);
  await fsp.mkdir(path.join(base, 'deploy'), { recursive: true, mode: 0o755 });
  const v = path.join(base, 'var');
  // ostree os-init: var/tmp (01777), var/lib, var/log, var/run -> ../run, var/lock -> ../run/lock.
  await fsp.mkdir(path.join(v, 'tmp'), { recursive: true });
  await fsp.chmod(path.join(v, 'tmp'), 0o1777);
  await fsp.mkdir(path.join(v, 'lib'), { recursive: true, mode: 0o755 });
  await fsp.mkdir(path.join(v, 'log'), { recursive: true, mode: 0o755 });
  for (const [link, target] of [['run', '../run'], ['lock', '../run/lock']] as const) {
    await fsp.symlink(target, path.join(v, link)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  const now = new Date();
  await fsp.utimes(path.join(root, 'ostree/deploy'), now, now);
  ctx.stdout.write(`ostree/deploy/${name} initialized as OSTree root\n`);
  void StaterootExists;
  return 0;
}

function kargsFrom(base: string, values: { karg?: string[]; 'karg-append'?: string[]; 'karg-proc-cmdline'?: boolean; 'karg-none'?: boolean }, procCmdline: string): string | undefined {
  const any = (values.karg?.length ?? 0) > 0 || (values['karg-append']?.length ?? 0) > 0 || values['karg-proc-cmdline'] === true || values['karg-none'] === true;
  if (!any) return undefined;
  let k: Karg[] = values['karg-none'] === true ? [] : values['karg-proc-cmdline'] === true ? parseKargs(procCmdline).filter(([n]) => n !== 'BOOT_IMAGE' && n !== 'initrd') : parseKargs(base);
  for (const a of values.karg ?? []) k = replaceKarg(k, a);
  for (const a of values['karg-append'] ?? []) k = appendKarg(k, a);
  return formatKargs(k);
}

async function deployVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      os: { type: 'string' },
      stateroot: { type: 'string' },
      'origin-file': { type: 'string' },
      karg: { type: 'string', multiple: true },
      'karg-append': { type: 'string', multiple: true },
      'karg-proc-cmdline': { type: 'boolean' },
      'karg-none': { type: 'boolean' },
      retain: { type: 'boolean' },
      'retain-pending': { type: 'boolean' },
      'retain-rollback': { type: 'boolean' },
      stage: { type: 'boolean' },
      'lock-finalization': { type: 'boolean' },
      'not-as-default': { type: 'boolean' },
      'no-prune': { type: 'boolean' },
      'no-merge': { type: 'boolean' },
    },
  });
  const refspec = positionals[0];
  if (refspec === undefined) throw new InvalidArgument('REF must be specified', {});
  const s = await openSysroot(ctx, sysrootPath);
  const stateroot = values.os ?? values.stateroot ?? s.booted?.stateroot;
  if (stateroot === undefined) throw new InvalidArgument('No stateroot given (--os) and not booted', {});
  const repo = await s.repo();
  const checksum = await repo.resolveRev(refspec);
  const origin = values['origin-file'] !== undefined
    ? parseOrigin(await fsp.readFile(path.resolve(ctx.cwd, values['origin-file']), 'utf8'))
    : originForRefspec(refspec);
  const merge = values['no-merge'] === true ? undefined : s.mergeDeployment(stateroot);
  const procCmdline = await fsp.readFile('/proc/cmdline', 'utf8').catch(() => '');
  // ostree starts from the merge deployment's options as they are (a stale ostree= included: it
  // is replaced in place when the entry is written, so appended arguments come after it).
  const kargs = kargsFrom(merge?.kargs ?? '', values, procCmdline);
  if (values.stage === true) {
    await stage(s, { stateroot, checksum, origin, ...(kargs !== undefined ? { kargs } : {}), ...(values['lock-finalization'] === true ? { lockFinalization: true } : {}) });
    return 0;
  }
  await deploy(s, {
    stateroot,
    checksum,
    origin,
    ...(kargs !== undefined ? { kargs } : {}),
    ...(values['no-merge'] === true ? { noMerge: true } : {}),
    ...(values.retain === true ? { retain: true } : {}),
    ...(values['retain-pending'] === true ? { retainPending: true } : {}),
    ...(values['retain-rollback'] === true ? { retainRollback: true } : {}),
    ...(values['not-as-default'] === true ? { notDefault: true } : {}),
    prune: values['no-prune'] !== true,
  });
  return 0;
}

async function statusVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, verify: { type: 'boolean', short: 'V' } } });
  const s = await openSysroot(ctx, sysrootPath);
  const status = await buildStatus(s, { finalizationLocked: s.staged !== undefined && (await isFinalizationLocked(s)) });
  ctx.stdout.write(values.json === true ? `${JSON.stringify(toAdminStatusJson(status), null, 2)}\n` : renderAdminStatus(status));
  return 0;
}

function deploymentAt(s: Sysroot, arg: string | undefined): { index: number } {
  const index = Number(arg);
  if (arg === undefined || !Number.isInteger(index) || index < 0 || index >= s.deployments.length) {
    throw new DeploymentNotFound(`Out of range deployment index ${arg ?? ''}, must be in range 0 to ${s.deployments.length - 1}`, { index });
  }
  return { index };
}

async function undeployVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const s = await openSysroot(ctx, sysrootPath);
  const { index } = deploymentAt(s, positionals[0]);
  const target = s.deployments[index]!;
  if (sameDeployment(target, s.booted)) {
    throw new BootedDeploymentRemoval(`Cannot undeploy currently booted deployment ${index}`, { deployment: deploymentId(target) });
  }
  const written = await writeDeployments(s, s.deployments.filter((_, i) => i !== index));
  await cleanup(written.sysroot, { prune: true });
  ctx.stdout.write(`Deleted deployment ${target.checksum}.${target.serial}\n`);
  return 0;
}

async function cleanupVerb(_argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const s = await openSysroot(ctx, sysrootPath);
  await cleanup(s, { prune: true });
  return 0;
}

async function pinVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { unpin: { type: 'boolean', short: 'u' } } });
  if (positionals.length === 0) throw new InvalidArgument('INDEX must be specified', {});
  const s = await openSysroot(ctx, sysrootPath);
  for (const p of positionals) {
    const { index } = deploymentAt(s, p);
    const d = s.deployments[index]!;
    const current = (await readOriginFile(s.originPath(d))) ?? originForRefspec(d.checksum);
    const next = originSet(current, 'libostree-transient', 'pinned', values.unpin === true ? undefined : 'true');
    await writeFileAtomic(s.originPath(d), formatOrigin(next));
    ctx.stdout.write(`Deployment ${index} is now ${values.unpin === true ? 'unpinned' : 'pinned'}\n`);
  }
  return 0;
}

async function setOriginVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { index: { type: 'string' }, 'set': { type: 'string', multiple: true } } });
  const [remote, url, branch] = positionals;
  if (remote === undefined || url === undefined) throw new InvalidArgument('REMOTENAME and URL must be specified', {});
  const s = await openSysroot(ctx, sysrootPath);
  if (values.index === undefined && s.booted === undefined) throw new NotBooted('Not currently booted into an OSTree system', {});
  const d = values.index !== undefined ? s.deployments[deploymentAt(s, values.index).index]! : s.booted!;
  const current = (await readOriginFile(s.originPath(d))) ?? originForRefspec(d.checksum);
  const oldRef = current.groups.find((g) => g.name === 'origin')?.entries.find(([k]) => k === 'refspec')?.[1] ?? '';
  const ref = branch ?? oldRef.replace(/^[^:]*:/, '');
  const set = (values.set ?? []).map((x) => {
    const eq = x.indexOf('=');
    if (eq <= 0) throw new InvalidArgument(`Invalid --set ${JSON.stringify(x)}, expected KEY=VALUE`, { set: x });
    return [x.slice(0, eq), x.slice(eq + 1)] as const;
  });
  await addRemote({ repo: path.join(s.path, 'ostree/repo') }, remote, url, { ifNotExists: true, set });
  await writeFileAtomic(s.originPath(d), formatOrigin(originSet(current, 'origin', 'refspec', `${remote}:${ref}`)));
  return 0;
}

async function kargsVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const sub = argv[0];
  if (sub !== 'edit-in-place') throw new InvalidArgument('Usage: berth ostree admin kargs edit-in-place --append-if-missing=KEY=VALUE', {});
  const { values } = parseArgs({ args: argv.slice(1), options: { 'append-if-missing': { type: 'string', multiple: true } } });
  const s = await openSysroot(ctx, sysrootPath);
  for (const d of s.deployments) {
    let k = parseKargs(d.kargs);
    for (const a of values['append-if-missing'] ?? []) k = appendKargIfMissing(k, a);
    await setKargsInPlace(s, d, formatKargs(k));
  }
  return 0;
}

async function finalizeVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  parseArgs({ args: argv, options: {} });
  const s = await openSysroot(ctx, sysrootPath);
  const r = await finalizeStaged(s);
  if (r === undefined) ctx.stdout.write('No deployment staged for finalization\n');
  return 0;
}
