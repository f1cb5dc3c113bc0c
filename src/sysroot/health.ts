/**
 * Automatic rollback (greenboot's job, built in). A new default deployment boots "tentative".
 * At each boot, `bootCheck()` counts the attempt first (so a boot that hangs or crashes still
 * counts), then runs the health checks: every executable in the deployment's
 * `/etc/berth/health.d/` and `/usr/lib/berth/health.d/` (sorted by name, `/etc` overriding a
 * same-named vendor check), plus checks the caller injects (berth's own services).
 * - All pass: the boot is good, the tentative mark is cleared.
 * - One fails and attempts remain: the caller reboots into the same default.
 * - One fails and the attempts are used up: the previous deployment becomes the default again
 *   (a bootversion swap, atomic like any other) and the reason is recorded for `host status`.
 *
 * State lives in the stateroot's shared /var (`var/lib/berth/boot-state.json`), which survives
 * reboots and is shared by every deployment of the stateroot.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { exec, isErrno, writeFileAtomic } from '../core/index.js';
import { type Deployment, deploymentId, sameDeployment } from './deployment.js';
import type { Sysroot } from './sysroot.js';
import { writeDeployments } from './write-deployments.js';

export const DEFAULT_MAX_BOOT_ATTEMPTS = 3;

export interface BootState {
  readonly tentative?: { readonly deployment: string; readonly previous: string; readonly attempts: number; readonly maxAttempts: number };
  readonly rolledBack?: { readonly from: string; readonly to: string; readonly failedBoots: number; readonly reason: string; readonly at: number };
  readonly lastGoodBoot?: string;
}

export interface HealthCheck {
  readonly name: string;
  readonly run: () => Promise<{ ok: boolean; detail?: string }>;
}

export type BootOutcome =
  | { readonly kind: 'good'; readonly deployment: string }
  | { readonly kind: 'not-tentative'; readonly deployment: string | undefined }
  | { readonly kind: 'reboot'; readonly deployment: string; readonly attempts: number; readonly reason: string }
  | { readonly kind: 'rolled-back'; readonly from: string; readonly to: string; readonly reason: string; readonly sysroot: Sysroot };

export function bootStatePath(sysroot: Sysroot, stateroot: string): string {
  return path.join(sysroot.path, 'ostree/deploy', stateroot, 'var/lib/berth/boot-state.json');
}

export async function readBootState(sysroot: Sysroot, stateroot: string): Promise<BootState> {
  try {
    return JSON.parse(await fsp.readFile(bootStatePath(sysroot, stateroot), 'utf8')) as BootState;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return {};
    throw err;
  }
}

async function writeBootState(sysroot: Sysroot, stateroot: string, state: BootState): Promise<void> {
  const p = bootStatePath(sysroot, stateroot);
  await fsp.mkdir(path.dirname(p), { recursive: true });
  await writeFileAtomic(p, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * After a deploy made `sysroot.deployments[0]` the new default: remember it as tentative, with
 * the deployment that was default before (what a failed boot falls back to).
 */
export async function markTentative(sysroot: Sysroot, previous: Deployment | undefined, maxAttempts = DEFAULT_MAX_BOOT_ATTEMPTS): Promise<void> {
  const next = sysroot.deployments.find((d) => !d.staged);
  if (next === undefined || previous === undefined || sameDeployment(next, previous)) return;
  const state = await readBootState(sysroot, next.stateroot);
  await writeBootState(sysroot, next.stateroot, {
    ...state,
    tentative: { deployment: deploymentId(next), previous: deploymentId(previous), attempts: 0, maxAttempts },
  });
}

/** The executables a deployment's boot is judged by. */
export async function healthChecksOf(sysroot: Sysroot, d: Deployment): Promise<HealthCheck[]> {
  const root = sysroot.deploymentDir(d);
  const byName = new Map<string, string>();
  for (const rel of ['usr/lib/berth/health.d', 'etc/berth/health.d']) {
    let names: string[] = [];
    try {
      names = await fsp.readdir(path.join(root, rel));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    for (const n of names) {
      const p = path.join(root, rel, n);
      const st = await fsp.stat(p).catch(() => undefined);
      if (st?.isFile() === true && (st.mode & 0o111) !== 0) byName.set(n, p);
    }
  }
  return [...byName.keys()].sort().map((name) => ({
    name,
    run: async () => {
      const r = await exec([byName.get(name)!], {
        check: false,
        timeoutMs: 60_000,
        cwd: root,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_DEPLOYMENT_ROOT: root, BERTH_DEPLOYMENT: deploymentId(d) },
      });
      const detail = (r.stderr.toString() || r.stdout.toString()).trim().split('\n').pop() ?? '';
      return { ok: r.exitCode === 0, detail: r.exitCode === 0 ? detail : `${name} exited ${r.exitCode ?? r.signal}${detail ? `: ${detail}` : ''}` };
    },
  }));
}

export interface BootCheckOptions {
  /** Extra checks (berth's own services came up). */
  readonly checks?: readonly HealthCheck[];
}

/** Runs at every boot (berth-health.service): judge a tentative boot, roll back when used up. */
export async function bootCheck(sysroot: Sysroot, options: BootCheckOptions = {}): Promise<BootOutcome> {
  const booted = sysroot.booted;
  if (booted === undefined) return { kind: 'not-tentative', deployment: undefined };
  const id = deploymentId(booted);
  const state = await readBootState(sysroot, booted.stateroot);
  const t = state.tentative;
  if (t === undefined || t.deployment !== id) return { kind: 'not-tentative', deployment: id };
  const attempts = t.attempts + 1;
  await sysroot.failpoint('health:count');
  await writeBootState(sysroot, booted.stateroot, { ...state, tentative: { ...t, attempts } });

  let reason: string | undefined;
  for (const check of [...(await healthChecksOf(sysroot, booted)), ...(options.checks ?? [])]) {
    const r = await check.run();
    if (!r.ok) {
      reason = r.detail ?? `${check.name} failed`;
      break;
    }
  }
  if (reason === undefined) {
    const { tentative: _, ...rest } = await readBootState(sysroot, booted.stateroot);
    await writeBootState(sysroot, booted.stateroot, { ...rest, lastGoodBoot: id });
    return { kind: 'good', deployment: id };
  }
  if (attempts < t.maxAttempts) return { kind: 'reboot', deployment: id, attempts, reason };

  // Used up: the previous deployment becomes the default again; the failed one stays as rollback.
  const previous = sysroot.deployments.find((d) => !d.staged && deploymentId(d) === t.previous);
  if (previous === undefined) {
    await writeBootState(sysroot, booted.stateroot, { ...state, tentative: { ...t, attempts } });
    return { kind: 'reboot', deployment: id, attempts, reason: `${reason} (previous deployment ${t.previous} is gone; cannot roll back)` };
  }
  const order = [previous, ...sysroot.deployments.filter((d) => !d.staged && !sameDeployment(d, previous))];
  const written = await writeDeployments(sysroot, order);
  const { tentative: _t, ...rest } = await readBootState(sysroot, booted.stateroot);
  await writeBootState(sysroot, booted.stateroot, {
    ...rest,
    rolledBack: { from: id, to: t.previous, failedBoots: attempts, reason, at: Math.floor(Date.now() / 1000) },
  });
  return { kind: 'rolled-back', from: id, to: t.previous, reason, sysroot: written.sysroot };
}

/** Records, for this boot, which deployment was booted (run early at boot, before any deploy). */
export async function recordBoot(sysroot: Sysroot): Promise<void> {
  if (sysroot.booted === undefined) return;
  const { bootRecordPath } = await import('./sysroot.js');
  const p = bootRecordPath(sysroot.runDir);
  await fsp.mkdir(path.dirname(p), { recursive: true });
  await writeFileAtomic(p, `${deploymentId(sysroot.booted)}\n`);
}
