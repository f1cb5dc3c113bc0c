/**
 * ostree_sysroot_cleanup: after a new boot configuration is committed, remove what nothing
 * references any more, in an order that never breaks the current configuration:
 * 1. the other bootversion's entries and bootlinks (`boot/loader.(1-B)`, `ostree/boot.(1-B)*`,
 *    `ostree/boot.B.(1-M)`), none of which the committed `boot/loader` reaches;
 * 2. deployment directories (and `.origin` files) not in the list, clearing `chattr +i` first;
 * 3. `boot/ostree/STATEROOT-BOOTCSUM` directories no deployment uses;
 * 4. the repo refs `ostree/B/M/I` that keep deployed commits from being pruned;
 * 5. optionally, pruning the repository.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { isErrno } from '../core/index.js';
import { deploymentId, parseDeployName } from './deployment.js';
import type { Sysroot } from './sysroot.js';
import { removeTree } from './tree-ops.js';

export interface CleanupOptions {
  /**
   * Prune unreachable objects from the repo: always (`true`, `ostree admin cleanup`), or only when
   * a commit lost its last deployment ref here (`'if-dropped'`, after a deploy: re-deploying a
   * commit frees nothing, and a full reachability walk of a 27k-file commit costs seconds).
   */
  readonly prune?: boolean | 'if-dropped';
}

export interface CleanupResult {
  readonly sysroot: Sysroot;
  readonly removedDeployments: readonly string[];
  readonly removedBootDirs: readonly string[];
  readonly pruned: { readonly objects: number; readonly bytes: number } | undefined;
}

async function readdirOrEmpty(p: string): Promise<string[]> {
  try {
    return await fsp.readdir(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

export async function cleanupOtherBootversions(sysroot: Sysroot): Promise<void> {
  const other = sysroot.bootversion === 0 ? 1 : 0;
  const otherSub = sysroot.subbootversion === 0 ? 1 : 0;
  for (const rel of [
    `boot/loader.${other}`,
    `ostree/boot.${other}`,
    `ostree/boot.${other}.0`,
    `ostree/boot.${other}.1`,
    `ostree/boot.${sysroot.bootversion}.${otherSub}`,
    'boot/loader.tmp',
  ]) {
    await sysroot.failpoint(`cleanup:bootversion:${rel}`);
    await fsp.rm(path.join(sysroot.path, rel), { recursive: true, force: true });
  }
}

export async function cleanup(sysroot: Sysroot, options: CleanupOptions = {}): Promise<CleanupResult> {
  sysroot = await sysroot.reload();
  await cleanupOtherBootversions(sysroot);

  const active = new Set(sysroot.deployments.map(deploymentId));
  if (sysroot.booted !== undefined) active.add(deploymentId(sysroot.booted));
  const removedDeployments: string[] = [];
  for (const stateroot of await sysroot.stateroots()) {
    const dir = path.join(sysroot.path, 'ostree/deploy', stateroot, 'deploy');
    for (const name of (await readdirOrEmpty(dir)).sort()) {
      const base = name.endsWith('.origin') ? name.slice(0, -'.origin'.length) : name;
      const parsed = parseDeployName(base);
      if (parsed === undefined) continue;
      const id = deploymentId({ stateroot, ...parsed });
      if (active.has(id)) continue;
      await sysroot.failpoint(`cleanup:deployment:${name}`);
      // The directory goes first: an origin without its directory is harmless, the reverse
      // would leave a deployment ostree cannot describe.
      await removeTree(path.join(dir, name), true);
      if (!name.endsWith('.origin')) removedDeployments.push(id);
    }
  }

  const usedBootDirs = new Set(sysroot.deployments.map((d) => `${d.stateroot}-${d.bootcsum}`));
  const removedBootDirs: string[] = [];
  const bootOstree = path.join(sysroot.path, 'boot/ostree');
  for (const name of await readdirOrEmpty(bootOstree)) {
    if (name === 'initramfs-overlays' || usedBootDirs.has(name)) continue;
    if (!/-[0-9a-f]{64}$/.test(name)) continue;
    await sysroot.failpoint(`cleanup:bootdir:${name}`);
    await removeTree(path.join(bootOstree, name), false);
    removedBootDirs.push(name);
  }

  let pruned: CleanupResult['pruned'];
  if (sysroot.hasRepo()) {
    const repo = await sysroot.repo();
    const want = new Map<string, string>();
    // One ref per deployment by index, the staged one (index 0 when present) included, as ostree.
    sysroot.deployments.forEach((d, i) => {
      want.set(`ostree/${sysroot.bootversion}/${sysroot.subbootversion}/${i}`, d.checksum);
    });
    const have = await repo.listRefs('ostree/');
    for (const [ref, csum] of want) {
      if (have.get(ref) === csum) continue;
      await sysroot.failpoint(`cleanup:ref:${ref}`);
      await repo.setRef(ref, csum);
    }
    for (const ref of have.keys()) {
      if (want.has(ref)) continue;
      await sysroot.failpoint(`cleanup:ref-delete:${ref}`);
      await repo.setRef(ref, undefined);
    }
    const wanted = new Set(want.values());
    const dropped = [...have.values()].some((c) => !wanted.has(c));
    if ((options.prune === true || (options.prune === 'if-dropped' && dropped)) && repo.prune !== undefined) {
      await sysroot.failpoint('cleanup:prune');
      pruned = await repo.prune();
    }
  }
  return { sysroot: await sysroot.reload(), removedDeployments, removedBootDirs, pruned };
}
