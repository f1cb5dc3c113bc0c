/**
 * One status model, rendered three ways: rpm-ostree-style stanzas, rpm-ostree `--json`
 * (kebab-case keys) and `ostree admin status` (text and the newer `--json`).
 */
import { originIsPinned, originRefspec } from '../../formats/origin.js';
import type { SignatureReport } from '../../ostree/index.js';
import { type Sysroot, deploymentId, sameDeployment } from '../../sysroot/index.js';
import { deploymentSignatures } from './signature-status.js';
import type { ProvisionRecord } from '../../compose/index.js';

export interface DeploymentStatus {
  readonly index: number;
  readonly stateroot: string;
  readonly checksum: string;
  readonly serial: number;
  readonly refspec: string | undefined;
  readonly version: string | undefined;
  readonly timestamp: number | undefined;
  readonly booted: boolean;
  readonly staged: boolean;
  readonly pending: boolean;
  readonly rollback: boolean;
  readonly pinned: boolean;
  readonly kargs: string;
  readonly bootcsum: string;
  /** The commit checked against its origin remote's keys; absent when that remote verifies nothing. */
  readonly signatures?: readonly SignatureReport[];
}

export interface RollbackNote {
  readonly from: string;
  readonly to: string;
  readonly failedBoots: number;
  readonly reason: string;
}

export interface HostStatus {
  readonly deployments: readonly DeploymentStatus[];
  readonly finalizationLocked: boolean;
  readonly rolledBack?: RollbackNote;
  readonly tentative?: { readonly deployment: string; readonly bootsLeft: number };
  /** The first-boot provisioning record (/var/lib/berth/provision/state.json), when a seed was applied. */
  readonly provision?: ProvisionRecord;
}

export async function buildStatus(sysroot: Sysroot, extra: Partial<Pick<HostStatus, 'rolledBack' | 'tentative' | 'finalizationLocked' | 'provision'>> = {}): Promise<HostStatus> {
  const { pending, rollback } = sysroot.queryDeploymentsFor();
  const deployments: DeploymentStatus[] = [];
  for (const [index, d] of sysroot.deployments.entries()) {
    const commit = await sysroot.commit(d.checksum);
    const refspec = d.origin === undefined ? undefined : originRefspec(d.origin);
    const signatures = await deploymentSignatures(`${sysroot.path}/ostree/repo`, refspec, d.checksum).catch(() => undefined);
    deployments.push({
      index,
      stateroot: d.stateroot,
      checksum: d.checksum,
      serial: d.serial,
      refspec,
      version: commit?.version,
      timestamp: commit?.timestamp,
      booted: sameDeployment(d, sysroot.booted),
      staged: d.staged,
      pending: sameDeployment(d, pending),
      rollback: sameDeployment(d, rollback),
      pinned: d.origin !== undefined && originIsPinned(d.origin),
      kargs: d.kargs,
      bootcsum: d.bootcsum,
      ...(signatures !== undefined ? { signatures } : {}),
    });
  }
  void deploymentId;
  return { deployments, finalizationLocked: extra.finalizationLocked ?? false, ...(extra.rolledBack ? { rolledBack: extra.rolledBack } : {}), ...(extra.tentative ? { tentative: extra.tentative } : {}), ...(extra.provision ? { provision: extra.provision } : {}) };
}
