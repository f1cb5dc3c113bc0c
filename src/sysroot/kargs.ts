/**
 * `ostree admin kargs edit-in-place` (ostree_sysroot_deployment_set_kargs_in_place): rewrite the
 * `options` of a deployment's current boot entry in place (atomic file replace; no new
 * bootversion), or the `kargs` of the staged deployment's state.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { blsSet, formatBlsEntry, parseBlsEntry } from '../formats/bls-entry.js';
import { decodeGVariant, encodeGVariant, variant, type VardictEntries } from '../formats/gvariant/index.js';
import { writeFileAtomic } from '../core/index.js';
import { type Deployment, sameDeployment } from './deployment.js';
import { DeploymentNotFound } from './errors.js';
import { stagedStatePath, type Sysroot } from './sysroot.js';

export async function setKargsInPlace(sysroot: Sysroot, d: Deployment, kargs: string): Promise<void> {
  if (d.staged) {
    const file = stagedStatePath(sysroot.runDir);
    const dict = decodeGVariant('a{sv}', await fsp.readFile(file)) as unknown as VardictEntries;
    const next = [...dict.filter(([k]) => k !== 'kargs'), ['kargs', variant('as', kargs.split(' ').filter((x) => x !== ''))] as const];
    await sysroot.failpoint('kargs:staged');
    await writeFileAtomic(file, encodeGVariant('a{sv}', next as never), { durable: false });
    return;
  }
  const index = sysroot.deployments.findIndex((x) => sameDeployment(x, d));
  if (index < 0) throw new DeploymentNotFound('Deployment is not in the boot order', { index });
  const name = `ostree-${sysroot.deployments.length - index}-${d.stateroot}.conf`;
  const file = path.join(sysroot.path, `boot/loader.${sysroot.bootversion}/entries`, name);
  const entry = blsSet(parseBlsEntry(await fsp.readFile(file, 'utf8')), 'options', kargs);
  await sysroot.failpoint('kargs:entry');
  await writeFileAtomic(file, formatBlsEntry(entry));
}
