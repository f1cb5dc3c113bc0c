/**
 * The input hash decides whether a compose would change anything (rpm-ostree's
 * `rpmostree.inputhash`): SHA-256 over the flattened treefile, the bytes of every file it
 * references (add-files, postprocess-script), the backend's arguments, and the identity of the
 * package indices. For Debian the indices are identified by the signed `InRelease` files a
 * private apt (state under the cache directory, sources from the treefile) fetches: same
 * indices + same requests ⇒ the same package set, so an unchanged treefile recomposes as a no-op
 * without installing anything. A changed index hashes differently even when no requested package
 * moved; that costs a rebuild, never a missed update.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec } from '../core/index.js';
import type { Treefile } from '../formats/index.js';
import { ComposeInstallFailed } from './errors.js';

/** Bump when compose's output for the same inputs changes, so old commits are not mistaken for current. */
export const COMPOSE_FORMAT = 2;

/**
 * apt options that point every state, cache and source path into `dir` (nothing of the machine's
 * apt state is read or written). apt bakes some options into its package cache without checking
 * them when it reuses the cache (pkgCacheGen::ForceEssential): callers with other options name
 * their own cache files with `cacheName`.
 */
export function privateAptOptions(dir: string, cacheName = ''): string[] {
  return [
    `Dir::Etc::SourceList=${dir}/sources.list`,
    `Dir::Etc::SourceParts=${dir}/sources.list.d`,
    `Dir::Etc::Preferences=${dir}/preferences`,
    `Dir::Etc::PreferencesParts=${dir}/preferences.d`,
    `Dir::State=${dir}/state`,
    `Dir::State::Lists=${dir}/state/lists`,
    `Dir::State::status=${dir}/status`,
    `Dir::Cache=${dir}/cache`,
    // Keep apt's parsed package cache between calls (the machine's apt.conf.d may turn it off):
    // each compose runs apt several times over the same indices.
    `Dir::Cache::pkgcache=${dir}/cache/${cacheName}pkgcache.bin`,
    `Dir::Cache::srcpkgcache=${dir}/cache/${cacheName}srcpkgcache.bin`,
    'Debug::NoLocking=1',
    'APT::Sandbox::User=root',
    'Acquire::Languages=none',
  ].flatMap((o) => ['-o', o]);
}

/** Runs `apt-get update` against private state in `stateDir` and returns digests of the Release files. */
export async function aptIndexDigests(deb822: string, stateDir: string): Promise<Record<string, string>> {
  const dir = path.resolve(stateDir);
  for (const d of ['sources.list.d', 'state/lists/partial', 'cache/archives/partial', 'preferences.d']) await mkdir(path.join(dir, d), { recursive: true });
  await writeFile(path.join(dir, 'sources.list.d', 'berth.sources'), deb822);
  await writeFile(path.join(dir, 'status'), '');
  const opts = privateAptOptions(dir);
  const r = await exec(['apt-get', ...opts, '-q', 'update'], { check: false, pkg: 'apt', timeoutMs: 10 * 60_000, env: { ...process.env, LC_ALL: 'C' } });
  const out = `${r.stdout.toString()}${r.stderr.toString()}`;
  if (r.exitCode !== 0 || /^(E:|Err:)/m.test(out)) {
    throw new ComposeInstallFailed(`apt-get update failed: ${out.trim().split('\n').slice(-5).join(' | ')}`, { backend: 'debian' });
  }
  const lists = path.join(dir, 'state/lists');
  const digests: Record<string, string> = {};
  for (const name of (await readdir(lists)).sort()) {
    if (!/(_InRelease|_Release)$/.test(name)) continue;
    digests[name] = createHash('sha256').update(await readFile(path.join(lists, name))).digest('hex');
  }
  return digests;
}

/** Stable JSON: object keys sorted, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface InputHashParts {
  readonly flat: Readonly<Record<string, unknown>>;
  readonly treefile: Treefile;
  readonly backend: string;
  /** Backend argv or other knobs that shape the output. */
  readonly backendArgs: readonly string[];
  readonly indexDigests: Readonly<Record<string, string>>;
}

export async function computeInputHash(parts: InputHashParts): Promise<string> {
  const h = createHash('sha256');
  h.update(`berth-compose ${COMPOSE_FORMAT}\n`);
  h.update(canonicalJson(parts.flat));
  const files = [...parts.treefile.addFiles.map((f) => f.src), ...(parts.treefile.postprocessScript ? [parts.treefile.postprocessScript] : [])];
  for (const f of files) {
    h.update(`\nfile ${f}\n`);
    h.update(await readFile(f));
  }
  h.update(`\nbackend ${parts.backend} ${canonicalJson(parts.backendArgs)}\n`);
  h.update(canonicalJson(parts.indexDigests));
  return h.digest('hex');
}
