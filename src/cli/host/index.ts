/**
 * `berth host …`: the operator's view (rpm-ostree / `atomic host`). Every verb takes
 * `--sysroot=DIR` (default `/`). Deploying verbs write a new default directly; with `--stage`
 * they stage it for `berth host finalize` (what a shutdown runs). A new default boots tentative
 * until `berth host health-check` judges the boot (see src/sysroot/health.ts).
 */
import * as fsp from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidArgument } from '../../core/index.js';
import { appendKarg, appendKargIfMissing, deleteKarg, formatKargs, parseKargs, replaceKargValue } from '../../formats/bls-kargs.js';
import { originRefspec, originSet, originForRefspec, originWithoutTransient, type Origin } from '../../formats/origin.js';
import {
  cleanup,
  deploy,
  deploymentId,
  finalizeStaged,
  isFinalizationLocked,
  KargsNotChanged,
  NoOrigin,
  NoRollbackTarget,
  sameDeployment,
  stage,
  type CommitInfo,
  type Deployment,
  type Sysroot,
  VersionNotFound,
  writeDeployments,
  bootCheck,
  markTentative,
  readBootState,
  recordBoot,
} from '../../sysroot/index.js';
import { refreshOriginRef } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';
import { openSysroot, takeSysroot, withSysrootLock } from './open.js';
import { buildStatus, type HostStatus } from './status-model.js';
import { renderHostStatus, toHostStatusJson } from './render-status.js';
import { berthdCheck, DEFAULT_BERTHD_SOCKET } from './berthd-check.js';

const USAGE = `Usage: berth host [--sysroot=DIR] COMMAND

Commands:
  status        Show deployments (--json, -b, -v, --pending-exit-77)
  upgrade       Deploy the newest commit of the origin ref (--check, --preview, --stage)
  deploy        Deploy a commit or a version of the origin ref
  rebase        Switch to another ref, keeping /etc changes
  rollback      Make the previous deployment the default again
  kargs         Show or change kernel arguments (--append, --delete, --replace, --append-if-missing)
  cleanup       Remove the pending (-p) or rollback (-r) deployment, or leftovers (-b)
  finalize      Finalize a staged deployment
  health-check  Judge this boot: clear the tentative mark, or count a failure and roll back
  provision     Apply a NoCloud seed once per instance-id (--seed=DIR|IMAGE, --force, --dry-run, --boot)
`;

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { sysroot, rest } = takeSysroot(argv);
  const verb = rest[0];
  const args = rest.slice(1);
  switch (verb) {
    case 'status':
      return statusVerb(args, ctx, sysroot);
    case 'upgrade':
    case 'update':
      return withSysrootLock(ctx, sysroot, () => upgradeVerb(args, ctx, sysroot));
    case 'deploy':
      return withSysrootLock(ctx, sysroot, () => deployVerb(args, ctx, sysroot));
    case 'rebase':
      return withSysrootLock(ctx, sysroot, () => rebaseVerb(args, ctx, sysroot));
    case 'rollback':
      return withSysrootLock(ctx, sysroot, () => rollbackVerb(args, ctx, sysroot));
    case 'kargs':
      return withSysrootLock(ctx, sysroot, () => kargsVerb(args, ctx, sysroot));
    case 'cleanup':
      return withSysrootLock(ctx, sysroot, () => cleanupVerb(args, ctx, sysroot));
    case 'finalize':
    case 'finalize-deployment':
      return withSysrootLock(ctx, sysroot, () => finalizeVerb(args, ctx, sysroot));
    case 'health-check':
      return withSysrootLock(ctx, sysroot, () => healthVerb(args, ctx, sysroot));
    case 'provision':
      return withSysrootLock(ctx, sysroot, async () => (await import('./provision.js')).provisionVerb(args, ctx, sysroot));
    case undefined:
    case '--help':
    case '-h':
      (verb === undefined ? ctx.stderr : ctx.stdout).write(USAGE);
      return verb === undefined ? 1 : 0;
    default:
      ctx.stderr.write(`error: Unknown host command ${JSON.stringify(verb)}\n${USAGE}`);
      return 1;
  }
}

export async function hostStatus(s: Sysroot): Promise<HostStatus> {
  const os = s.booted?.stateroot ?? s.deployments[0]?.stateroot;
  const state = os === undefined ? {} : await readBootState(s, os);
  const { readProvisionRecord, statusVarDir } = await import('./provision.js');
  const varDir = statusVarDir(s);
  const provisioned = varDir === undefined ? undefined : await readProvisionRecord(varDir);
  return buildStatus(s, {
    ...(provisioned !== undefined ? { provision: provisioned } : {}),
    finalizationLocked: s.staged !== undefined && (await isFinalizationLocked(s)),
    ...(state.rolledBack !== undefined ? { rolledBack: state.rolledBack } : {}),
    ...(state.tentative !== undefined ? { tentative: { deployment: state.tentative.deployment, bootsLeft: state.tentative.maxAttempts - state.tentative.attempts } } : {}),
  });
}

async function statusVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      booted: { type: 'boolean', short: 'b' },
      verbose: { type: 'boolean', short: 'v' },
      'pending-exit-77': { type: 'boolean' },
    },
  });
  const s = await openSysroot(ctx, sysrootPath);
  let status = await hostStatus(s);
  if (values.booted === true) status = { ...status, deployments: status.deployments.filter((d) => d.booted) };
  ctx.stdout.write(values.json === true ? `${JSON.stringify(toHostStatusJson(status), null, 2)}\n` : renderHostStatus(status, { verbose: values.verbose === true }));
  const pending = status.deployments.some((d) => d.staged || d.pending);
  return values['pending-exit-77'] === true && pending ? 77 : 0;
}

function mergeOf(s: Sysroot): Deployment {
  const m = s.mergeDeployment(undefined);
  if (m === undefined) throw new NoOrigin('No deployment to upgrade from', { deployment: '' });
  return m;
}

function refspecOf(d: Deployment): string {
  const r = d.origin === undefined ? undefined : originRefspec(d.origin);
  if (r === undefined) throw new NoOrigin(`Deployment ${deploymentId(d)} has no origin refspec`, { deployment: deploymentId(d) });
  return r;
}

interface NewDefaultOptions {
  readonly checksum: string;
  readonly origin: Origin | undefined;
  readonly kargs?: string;
  readonly stage?: boolean;
}

/** Deploy (or stage) a new default from the merge deployment, then mark it tentative. */
async function newDefault(ctx: CommandContext, s: Sysroot, given: NewDefaultOptions): Promise<Sysroot> {
  const merge = mergeOf(s);
  // Pinning is per deployment: the carried-over origin drops [libostree-transient] (as ostree's upgrade).
  const opts = { ...given, origin: given.origin === undefined ? undefined : originWithoutTransient(given.origin) };
  const previous = s.booted ?? s.deployments.find((d) => !d.staged);
  if (opts.stage === true) {
    return (await stage(s, { stateroot: merge.stateroot, checksum: opts.checksum, origin: opts.origin, ...(opts.kargs !== undefined ? { kargs: opts.kargs } : {}) })).sysroot;
  }
  const r = await deploy(s, { stateroot: merge.stateroot, checksum: opts.checksum, origin: opts.origin, ...(opts.kargs !== undefined ? { kargs: opts.kargs } : {}), prune: false });
  await markTentative(r.sysroot, previous);
  ctx.stdout.write(`Deployed ${opts.checksum.slice(0, 12)} as the new default (tentative until its first healthy boot)\n`);
  return r.sysroot;
}

async function upgradeVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { check: { type: 'boolean' }, preview: { type: 'boolean' }, stage: { type: 'boolean' }, 'unchanged-exit-77': { type: 'boolean' }, from: { type: 'string' } },
  });
  const s = await openSysroot(ctx, sysrootPath);
  const merge = mergeOf(s);
  const refspec = refspecOf(merge);
  // issue 4: pull a `remote:ref` origin from its remote (or apply an offline bundle) before resolving it
  await refreshOriginRef(`${s.path}/ostree/repo`, refspec, { ...(values.from !== undefined ? { from: values.from } : {}), check: values.check === true });
  const repo = await s.repo();
  // A `remote:ref` origin is pulled first (commit metadata only for --check); a local ref is used as is.
  if (repo.refresh !== undefined) await repo.refresh(refspec, values.check === true ? { check: true } : {});
  const target = await repo.resolveRev(refspec);
  const current = s.staged?.checksum ?? merge.checksum;
  if (target === current) {
    ctx.stdout.write('No upgrade available.\n');
    return values['unchanged-exit-77'] === true ? 77 : 0;
  }
  const info = await repo.readCommit(target);
  if (values.check === true || values.preview === true) {
    ctx.stdout.write(`AvailableUpdate:\n      Version: ${info.version ?? '(none)'} (${new Date(info.timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')})\n       Commit: ${target}\n`);
    if (values.preview === true) {
      const diff = await repo.diff(merge.checksum, target);
      ctx.stdout.write(`         Diff: ${diff.modified.length} modified, ${diff.removed.length} removed, ${diff.added.length} added\n`);
      for (const p of diff.modified) ctx.stdout.write(`M    ${p}\n`);
      for (const p of diff.removed) ctx.stdout.write(`D    ${p}\n`);
      for (const p of diff.added) ctx.stdout.write(`A    ${p}\n`);
    }
    return 0;
  }
  await newDefault(ctx, s, { checksum: target, origin: merge.origin, ...(values.stage === true ? { stage: true } : {}) });
  return 0;
}

const CHECKSUM_PREFIX_REGEXP = /^[0-9a-f]{4,64}$/;

async function deployVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { stage: { type: 'boolean' } } });
  const rev = positionals[0];
  if (rev === undefined) throw new InvalidArgument('REVISION must be specified', {});
  const s = await openSysroot(ctx, sysrootPath);
  const merge = mergeOf(s);
  const repo = await s.repo();
  let checksum: string | undefined;
  const wantVersion = rev.startsWith('version=') ? rev.slice('version='.length) : rev.startsWith('revision=') ? undefined : rev;
  if (!rev.startsWith('version=') && CHECKSUM_PREFIX_REGEXP.test(rev.replace(/^revision=/, ''))) {
    checksum = await repo.resolveRev(rev.replace(/^revision=/, '')).catch(() => undefined);
  }
  if (checksum === undefined && wantVersion !== undefined) {
    // rpm-ostree deploy VERSION: walk the origin ref's history for a commit with that version.
    const refspec = refspecOf(merge);
    let c: string | undefined = await repo.resolveRev(refspec);
    for (let i = 0; i < 10_000 && c !== undefined; i++) {
      const info: CommitInfo | undefined = await repo.readCommit(c).catch(() => undefined);
      if (info === undefined) break;
      if (info.version === wantVersion) {
        checksum = c;
        break;
      }
      c = info.parent;
    }
    if (checksum === undefined) throw new VersionNotFound(`No commit with version ${JSON.stringify(wantVersion)} in the history of ${JSON.stringify(refspec)}`, { version: wantVersion, ref: refspec });
  }
  if (checksum === undefined) throw new InvalidArgument(`Cannot resolve ${JSON.stringify(rev)}`, { rev });
  const origin = originSet(merge.origin ?? originForRefspec(checksum), 'origin', 'override-commit', checksum);
  await newDefault(ctx, s, { checksum, origin, ...(values.stage === true ? { stage: true } : {}) });
  return 0;
}

async function rebaseVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { stage: { type: 'boolean' } } });
  const ref = positionals[0];
  if (ref === undefined) throw new InvalidArgument('REF must be specified', {});
  const s = await openSysroot(ctx, sysrootPath);
  const merge = mergeOf(s);
  const checksum = await (await s.repo()).resolveRev(ref);
  const origin = originSet(originSet(merge.origin ?? originForRefspec(ref), 'origin', 'refspec', ref), 'origin', 'override-commit', undefined);
  await newDefault(ctx, s, { checksum, origin, ...(values.stage === true ? { stage: true } : {}) });
  return 0;
}

async function rollbackVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  parseArgs({ args: argv, options: {} });
  const s = await openSysroot(ctx, sysrootPath);
  const list = s.deployments.filter((d) => !d.staged);
  const booted = s.booted;
  let newDefault: Deployment | undefined;
  // rpm-ostree: booted is the default -> the one after it becomes default; else booted again.
  if (booted === undefined || sameDeployment(list[0], booted)) {
    const from = booted ?? list[0];
    newDefault = list.find((d) => from !== undefined && !sameDeployment(d, from) && d.stateroot === from.stateroot);
  } else newDefault = booted;
  if (newDefault === undefined) throw new NoRollbackTarget('No rollback deployment found', {});
  const order = [newDefault, ...list.filter((d) => !sameDeployment(d, newDefault))];
  await writeDeployments(s, order);
  ctx.stdout.write(`Moving '${newDefault.checksum}.${newDefault.serial}' to be first deployment\n`);
  return 0;
}

async function kargsVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      append: { type: 'string', multiple: true },
      'append-if-missing': { type: 'string', multiple: true },
      delete: { type: 'string', multiple: true },
      'delete-if-present': { type: 'string', multiple: true },
      replace: { type: 'string', multiple: true },
      stage: { type: 'boolean' },
    },
  });
  const s = await openSysroot(ctx, sysrootPath);
  const merge = mergeOf(s);
  // Like rpm-ostree: edits apply to the default (or staged) deployment's arguments, so
  // consecutive edits stack; /etc still merges from the booted one.
  const base = s.staged ?? s.deployments.find((d) => d.stateroot === merge.stateroot) ?? merge;
  let k = parseKargs(base.kargs).filter(([n]) => n !== 'ostree');
  const changes = [values.append, values['append-if-missing'], values.delete, values['delete-if-present'], values.replace].some((x) => (x?.length ?? 0) > 0);
  if (!changes) {
    ctx.stdout.write(`${formatKargs(k)}\n`);
    return 0;
  }
  for (const a of values.delete ?? []) {
    const next = deleteKarg(k, a);
    if (next === undefined) throw new KargsNotChanged(`No karg ${JSON.stringify(a)} found (or it is ambiguous; give KEY=VALUE)`, { arg: a });
    k = next;
  }
  for (const a of values['delete-if-present'] ?? []) k = deleteKarg(k, a) ?? k;
  for (const a of values.replace ?? []) {
    const next = replaceKargValue(k, a);
    if (next === undefined) throw new KargsNotChanged(`No karg matches ${JSON.stringify(a)}`, { arg: a });
    k = next;
  }
  for (const a of values.append ?? []) k = appendKarg(k, a);
  for (const a of values['append-if-missing'] ?? []) k = appendKargIfMissing(k, a);
  await newDefault(ctx, s, { checksum: base.checksum, origin: base.origin, kargs: formatKargs(k), ...(values.stage === true ? { stage: true } : {}) });
  ctx.stdout.write('Kernel arguments updated.\n');
  return 0;
}

async function cleanupVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { pending: { type: 'boolean', short: 'p' }, rollback: { type: 'boolean', short: 'r' }, base: { type: 'boolean', short: 'b' }, repomd: { type: 'boolean', short: 'm' } },
  });
  let s = await openSysroot(ctx, sysrootPath);
  const { pending, rollback } = s.queryDeploymentsFor(s.booted?.stateroot ?? s.deployments[0]?.stateroot);
  // Without a booted deployment, index 0 plays "booted": pending is none, rollback is index 1.
  const rb = s.booted === undefined ? s.deployments.filter((d) => !d.staged)[1] : rollback;
  const drop = new Set<string>();
  if (values.pending === true && pending !== undefined) drop.add(deploymentId(pending));
  if (values.rollback === true && rb !== undefined) drop.add(deploymentId(rb));
  if (drop.size > 0 || (values.pending === true && s.staged !== undefined)) {
    const keep = s.deployments.filter((d) => !drop.has(deploymentId(d)) && !(values.pending === true && d.staged));
    s = (await writeDeployments(s, keep)).sysroot;
  }
  await cleanup(s, { prune: true });
  return 0;
}

async function finalizeVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { force: { type: 'boolean' } } });
  const s = await openSysroot(ctx, sysrootPath);
  const previous = s.booted ?? s.deployments.find((d) => !d.staged);
  const r = await finalizeStaged(s, values.force === true ? { force: true } : {});
  if (r === undefined) {
    ctx.stdout.write('No deployment staged for finalization\n');
    return 0;
  }
  await markTentative(r.sysroot, previous);
  return 0;
}

async function healthVerb(argv: string[], ctx: CommandContext, sysrootPath: string | undefined): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'berthd-socket': { type: 'string' }, 'no-berthd': { type: 'boolean' } } });
  const s = await openSysroot(ctx, sysrootPath);
  await recordBoot(s);
  // berth's own services: berthd must answer on its socket, when it is part of this host
  // (an explicit --berthd-socket, or the default socket on a booted host with berthd enabled).
  const socket = values['berthd-socket'] ?? (s.path === '/' && (await fsp.access(DEFAULT_BERTHD_SOCKET).then(() => true, () => false)) ? DEFAULT_BERTHD_SOCKET : undefined);
  const checks = values['no-berthd'] === true || socket === undefined ? [] : [berthdCheck(socket)];
  const outcome = await bootCheck(s, { checks });
  switch (outcome.kind) {
    case 'good':
      ctx.stdout.write(`Boot of ${outcome.deployment} is healthy; tentative mark cleared\n`);
      return 0;
    case 'not-tentative':
      ctx.stdout.write('Booted deployment is not tentative; nothing to judge\n');
      return 0;
    case 'reboot':
      ctx.stdout.write(`Boot ${outcome.attempts} of ${outcome.deployment} failed: ${outcome.reason}; reboot to retry\n`);
      return 1;
    case 'rolled-back':
      ctx.stdout.write(`Rolled back from ${outcome.from} to ${outcome.to}: ${outcome.reason}; reboot into the previous deployment\n`);
      return 1;
  }
}
