/**
 * The provisioning record: `/var/lib/berth/provision/state.json`, written last and atomically when a
 * seed has been applied. /var is shared by every deployment of a stateroot, so the record (and with
 * it "this instance-id is done") survives upgrades and rollbacks; what provisioning wrote to /etc is
 * carried into new deployments by the 3-way /etc merge like any local change. Keys are kebab-case
 * like `berth host status --json`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isErrno, writeFileAtomic } from '../../core/index.js';

/** Relative to /var. */
export const PROVISION_STATE_DIR = 'lib/berth/provision';

export interface ProvisionRecord {
  readonly 'instance-id': string;
  /** ISO 8601, seconds. */
  readonly applied: string;
  readonly source: string;
  readonly 'seed-sha256': string;
  readonly hostname: string | null;
  readonly users: ReadonlyArray<{ readonly name: string; readonly uid: number; readonly home: string; readonly keys: number; readonly sudo: boolean }>;
  readonly groups: readonly string[];
  readonly files: readonly string[];
  readonly containers: ReadonlyArray<{ readonly name: string; readonly image: string; readonly unit: string }>;
  /** exit null: written but not run (the target was not the running system). */
  readonly runcmd: { readonly commands: number; readonly exit: number | null } | null;
  readonly previous: { readonly 'instance-id': string; readonly applied: string } | null;
}

export function provisionStatePath(varDir: string): string {
  return path.join(varDir, PROVISION_STATE_DIR, 'state.json');
}

export async function readProvisionRecord(varDir: string): Promise<ProvisionRecord | undefined> {
  try {
    return JSON.parse(await readFile(provisionStatePath(varDir), 'utf8')) as ProvisionRecord;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export async function writeProvisionRecord(varDir: string, record: ProvisionRecord): Promise<void> {
  const file = provisionStatePath(varDir);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  // Readable by all (no secrets: names and paths); the seed copies beside it are root-only.
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
}
