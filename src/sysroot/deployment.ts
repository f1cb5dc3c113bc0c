/**
 * A deployment is plain data (libostree's OstreeDeployment): which commit is checked out where,
 * with which kernel (bootcsum), kernel arguments and origin. Position in the list is the boot
 * order: index 0 is the default. A deployment is identified by stateroot, checksum and serial.
 */
import type { Origin } from '../formats/origin.js';

export interface Deployment {
  readonly stateroot: string;
  readonly checksum: string;
  /** deployserial: distinguishes several checkouts of the same commit in one stateroot. */
  readonly serial: number;
  /** SHA-256 of kernel ‖ initramfs ‖ devicetree: names `boot/ostree/STATEROOT-BOOTCSUM`. */
  readonly bootcsum: string;
  /** Counter among deployments sharing a bootcsum; part of the `ostree=` path. */
  readonly bootserial: number;
  /** The BLS `options` line (kernel arguments, possibly with a stale `ostree=`). */
  readonly kargs: string;
  readonly origin: Origin | undefined;
  /** Staged: checked out, not yet in the boot entries (finalized at shutdown). */
  readonly staged: boolean;
}

export function deploymentId(d: Pick<Deployment, 'stateroot' | 'checksum' | 'serial'>): string {
  return `${d.stateroot}/${d.checksum}.${d.serial}`;
}

export function sameDeployment(a: Deployment | undefined, b: Deployment | undefined): boolean {
  return a !== undefined && b !== undefined && deploymentId(a) === deploymentId(b);
}

/** `ostree/deploy/STATEROOT/deploy/CSUM.SERIAL`, relative to the sysroot. */
export function deploymentRelPath(d: Pick<Deployment, 'stateroot' | 'checksum' | 'serial'>): string {
  return `ostree/deploy/${d.stateroot}/deploy/${d.checksum}.${d.serial}`;
}

const DEPLOY_NAME_REGEXP = /^([0-9a-f]{64})\.([0-9]+)$/;

export function parseDeployName(name: string): { checksum: string; serial: number } | undefined {
  const m = DEPLOY_NAME_REGEXP.exec(name);
  return m === null ? undefined : { checksum: m[1]!, serial: Number(m[2]) };
}

const STATEROOT_REGEXP = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function isValidStateroot(name: string): boolean {
  return STATEROOT_REGEXP.test(name);
}
