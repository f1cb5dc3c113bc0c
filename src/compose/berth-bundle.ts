/**
 * berth itself as a file a treefile can install: a reproducible tar of the built CLI (package.json,
 * bin/, dist/ without tests) and its production dependencies, laid out as /usr/lib/berth with
 * /usr/bin/berth pointing at it. The host treefile adds it with `add-files` and unpacks it in a
 * postprocess script, so the composed host runs its own berth (no share, no network) and an update
 * brings a new berth with the rest of /usr. It also carries berth's systemd units (first-boot provisioning).
 */
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exec, isErrno } from '../core/index.js';
import { PROVISION_UNIT_NAME, provisionUnitText } from './provision/unit.js';

/** Where the bundle puts berth in the tree. */
export const BERTH_PREFIX = 'usr/lib/berth';

interface PackageJson {
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

async function readPackageJson(dir: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Directories (relative to the checkout) of the production dependency closure, found as Node's
 * resolver would: the nearest node_modules/NAME walking up from the requiring package.
 */
export async function productionDependencies(checkout: string): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (pkgDir: string, optional: boolean): Promise<void> => {
    const pkg = await readPackageJson(path.join(checkout, pkgDir));
    if (pkg === undefined) {
      if (optional) return;
      throw new Error(`No package.json in ${path.join(checkout, pkgDir)}; run npm ci first`);
    }
    const deps: [string, boolean][] = [
      ...Object.keys(pkg.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(pkg.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
    ];
    for (const [name, isOptional] of deps) {
      let dir: string | undefined;
      for (let base = pkgDir; ; ) {
        const candidate = base === '.' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
        if ((await readPackageJson(path.join(checkout, candidate))) !== undefined) {
          dir = candidate;
          break;
        }
        if (base === '.') break;
        const i = base.lastIndexOf('node_modules/');
        base = i <= 0 ? '.' : base.slice(0, i - 1);
      }
      if (dir === undefined) {
        if (isOptional) continue;
        throw new Error(`Dependency ${name} of ${pkgDir} is not installed under ${checkout}`);
      }
      if (found.has(dir)) continue;
      found.add(dir);
      await visit(dir, isOptional);
    }
  };
  await visit('.', false);
  return [...found].sort();
}

/** Writes the bundle tar (sorted, mtime 0, root-owned: equal inputs give equal bytes). */
export async function packBerth(checkout: string, output: string): Promise<void> {
  const stage = await mkdtemp(path.join(tmpdir(), 'berth-bundle-'));
  try {
    const prefix = path.join(stage, BERTH_PREFIX);
    await mkdir(prefix, { recursive: true });
    await cp(path.join(checkout, 'package.json'), path.join(prefix, 'package.json'));
    await cp(path.join(checkout, 'bin'), path.join(prefix, 'bin'), { recursive: true });
    await cp(path.join(checkout, 'dist'), path.join(prefix, 'dist'), {
      recursive: true,
      filter: (src) => !src.endsWith('.test.js') && !src.endsWith('.map'),
    });
    for (const dep of await productionDependencies(checkout)) {
      // node_modules may itself be a symlink (a worktree sharing another checkout's packages).
      await cp(await realpath(path.join(checkout, dep)), path.join(prefix, dep), {
        recursive: true,
        filter: (src) => !/\/node_modules\/[^/]+\/node_modules$/.test(src),
      });
    }
    await mkdir(path.join(stage, 'usr/bin'), { recursive: true });
    await symlink('../lib/berth/bin/berth', path.join(stage, 'usr/bin/berth'));
    // First-boot provisioning (NoCloud seeds), enabled from /usr like a vendor preset.
    const units = path.join(stage, 'usr/lib/systemd/system');
    await mkdir(path.join(units, 'multi-user.target.wants'), { recursive: true });
    await writeFile(path.join(units, PROVISION_UNIT_NAME), provisionUnitText('/usr/bin/berth'));
    await symlink(`../${PROVISION_UNIT_NAME}`, path.join(units, 'multi-user.target.wants', PROVISION_UNIT_NAME));
    await exec(['tar', '-C', stage, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', output, 'usr'], { pkg: 'tar' });
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
