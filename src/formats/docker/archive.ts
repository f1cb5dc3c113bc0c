import { InvalidArchive } from '../oci/errors.js';

/**
 * docker-archive ("docker save") metadata. `manifest.json` is an array of entries naming the config
 * and the layer files (paths inside the archive); `repositories` maps repo -> tag -> top layer id.
 * Three layouts exist: classic (`<id>/layer.tar`), containers/image (`<diffid>.tar` + legacy
 * symlinks) and Docker >= 25 (an OCI layout plus manifest.json pointing at `blobs/sha256/<hex>`).
 */
export interface ArchiveManifestEntry {
  readonly Config: string;
  readonly RepoTags: readonly string[] | null;
  readonly Layers: readonly string[];
  readonly Parent?: string;
  readonly LayerSources?: Readonly<Record<string, unknown>>;
}

function fail(reason: string): never {
  throw new InvalidArchive(`Invalid docker-archive: ${reason}`, { reason });
}

export function parseArchiveManifest(bytes: Uint8Array | string): ArchiveManifestEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    fail(`manifest.json is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(json)) fail('manifest.json is not an array');
  return json.map((e: unknown, i) => {
    if (typeof e !== 'object' || e === null) fail(`manifest.json entry ${i} is not an object`);
    const entry = e as Record<string, unknown>;
    if (typeof entry.Config !== 'string') fail(`manifest.json entry ${i} has no Config`);
    if (!Array.isArray(entry.Layers) || entry.Layers.some((l) => typeof l !== 'string')) fail(`manifest.json entry ${i} has bad Layers`);
    const tags = entry.RepoTags ?? null;
    if (tags !== null && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string'))) fail(`manifest.json entry ${i} has bad RepoTags`);
    return entry as unknown as ArchiveManifestEntry;
  });
}

export function formatArchiveManifest(entries: readonly ArchiveManifestEntry[]): string {
  return `${JSON.stringify(entries.map((e) => ({ Config: e.Config, RepoTags: e.RepoTags, Layers: e.Layers })))}\n`;
}

/** `{"repo":{"tag":"<legacy id>"}}` from [repository, tag, id] triples. */
export function formatRepositories(rows: ReadonlyArray<readonly [string, string, string]>): string {
  const out: Record<string, Record<string, string>> = {};
  for (const [repo, tag, id] of rows) (out[repo] ??= {})[tag] = id;
  return `${JSON.stringify(out)}\n`;
}

export function parseRepositories(bytes: Uint8Array | string): Array<[string, string, string]> {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch {
    fail('repositories is not JSON');
  }
  if (typeof json !== 'object' || json === null) fail('repositories is not an object');
  const rows: Array<[string, string, string]> = [];
  for (const [repo, tags] of Object.entries(json as Record<string, unknown>)) {
    if (typeof tags !== 'object' || tags === null) fail(`repositories entry ${JSON.stringify(repo)} is not an object`);
    for (const [tag, id] of Object.entries(tags as Record<string, unknown>)) rows.push([repo, tag, String(id)]);
  }
  return rows;
}
