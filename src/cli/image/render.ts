/**
 * Pure renderers for the image verbs, matching the docker CLI: `images` rows and columns, sizes as
 * go-units' HumanSizeWithPrecision(…, 3), progress lines as jsonmessage prints them without a TTY.
 */
import { familiarReference, parseReference } from '../../formats/oci/index.js';
import { humanDuration } from '../../formats/docker/index.js';

export { humanDuration };
import type { ImageSummary, ProgressMessage } from '../../image/index.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's fmt %.{p}g: exponent form when the exponent is < -4 or >= p, trailing zeros dropped. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return '0';
  const [mant, expText] = value.toExponential(precision - 1).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (t: string) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (exp < -4 || exp >= precision) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(value.toFixed(Math.max(0, precision - 1 - exp)));
}

/** docker's image sizes: "2.01MB", "5.6kB", "0B". */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, precision)}${DECIMAL_UNITS[i]}`;
}

/** "1970-01-01 00:00:00 +0000 UTC" (Go's time.Time String in UTC). */
export function goTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

export interface ImageRow {
  readonly summary: ImageSummary;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

function splitFamiliar(ref: string): { repo: string; tag?: string; digest?: string } {
  const r = parseReference(ref);
  const repo = familiarReference({ domain: r.domain, path: r.path });
  return { repo, ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.digest !== undefined ? { digest: r.digest } : {}) };
}

/** docker's imageFormatTaggedAndDigest: a row per repo:tag (per digest with --digests), digest-only repos, dangling as <none>. */
export function imageRows(images: readonly ImageSummary[], options: { digests: boolean }): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    if (img.repoTags.length === 0 && img.repoDigests.length === 0) {
      rows.push({ summary: img, repository: '<none>', tag: '<none>', digest: '<none>' });
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of img.repoTags) {
      const s = splitFamiliar(t);
      if (s.tag !== undefined) (repoTags.get(s.repo) ?? repoTags.set(s.repo, []).get(s.repo)!).push(s.tag);
    }
    for (const d of img.repoDigests) {
      const s = splitFamiliar(d);
      if (s.digest !== undefined) (repoDigests.get(s.repo) ?? repoDigests.set(s.repo, []).get(s.repo)!).push(s.digest);
    }
    for (const [repo, tags] of [...repoTags].sort(([a], [b]) => a.localeCompare(b))) {
      const digests = options.digests ? repoDigests.get(repo) ?? [] : [];
      repoDigests.delete(repo);
      for (const tag of tags.sort()) {
        if (digests.length === 0) rows.push({ summary: img, repository: repo, tag, digest: '<none>' });
        for (const d of digests) rows.push({ summary: img, repository: repo, tag, digest: d });
      }
    }
    for (const [repo, digests] of [...repoDigests].sort(([a], [b]) => a.localeCompare(b))) {
      if (options.digests) for (const d of digests) rows.push({ summary: img, repository: repo, tag: '<none>', digest: d });
      else rows.push({ summary: img, repository: repo, tag: '<none>', digest: '' });
    }
  }
  return rows;
}

/** The object `--format` templates see (docker's imageContext); keys sorted as `{{json .}}` prints them. */
export function imageContext(row: ImageRow, options: { trunc: boolean; now: number }): Record<string, string> {
  const s = row.summary;
  const id = options.trunc ? s.id.replace(/^sha256:/, '').slice(0, 12) : s.id;
  return {
    Containers: 'N/A',
    CreatedAt: goTime(s.created),
    CreatedSince: `${humanDuration(options.now - s.created * 1000)} ago`,
    Digest: row.digest,
    ID: id,
    Repository: row.repository,
    SharedSize: 'N/A',
    Size: humanSize(s.size),
    Tag: row.tag,
    UniqueSize: 'N/A',
    VirtualSize: humanSize(s.size),
  };
}

export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE',
};

export const IMAGES_DEFAULT_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const IMAGES_DIGEST_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

/** One progress message as the docker CLI prints it without a TTY (no bars; "id: status"). */
export function renderProgressLine(m: ProgressMessage): string | undefined {
  if (m.status === '' || m.aux !== undefined) return undefined;
  if ((m.status === 'Downloading' || m.status === 'Extracting' || m.status === 'Pushing') && m.progressDetail?.current !== undefined) return undefined;
  return m.id !== undefined ? `${m.id}: ${m.status}\n` : `${m.status}\n`;
}

/** docker's progress bar: `[=====>      ]  3.1MB/58.4MB` (50 columns). */
export function progressBar(current: number, total: number): string {
  if (!(total > 0)) return humanSize(current).padStart(8);
  const width = 50;
  const filled = Math.max(0, Math.min(width, Math.floor((current / total) * width)));
  const bar = filled === 0 ? ' '.repeat(width) : `${'='.repeat(filled - 1)}${filled < width ? '>' : '='}${' '.repeat(width - filled)}`;
  return `[${bar}]  ${humanSize(current)}/${humanSize(total)}`;
}

/**
 * Renders a pull/push message stream. Without a TTY: one line per status change (as docker does when
 * piped). On a TTY: one line per layer, rewritten in place with a progress bar.
 */
export class ProgressPrinter {
  readonly #out: { write(s: string): unknown };
  readonly #tty: boolean;
  readonly #rows: string[] = [];

  constructor(out: { write(s: string): unknown }, tty: boolean) {
    this.#out = out;
    this.#tty = tty;
  }

  print(m: ProgressMessage): void {
    if (!this.#tty) {
      const line = renderProgressLine(m);
      if (line !== undefined) this.#out.write(line);
      return;
    }
    if (m.status === '' || m.aux !== undefined) return;
    if (m.id === undefined || m.status.startsWith('Pulling from ')) {
      this.#out.write(m.id !== undefined ? `${m.id}: ${m.status}\n` : `${m.status}\n`);
      return;
    }
    const detail = m.progressDetail?.current !== undefined ? ` ${progressBar(m.progressDetail.current, m.progressDetail.total ?? 0)}` : '';
    const text = `${m.id}: ${m.status}${detail}`;
    const index = this.#rows.indexOf(m.id);
    if (index < 0) {
      this.#rows.push(m.id);
      this.#out.write(`${text}\n`);
      return;
    }
    const up = this.#rows.length - index;
    this.#out.write(`\x1b[${up}A\x1b[2K\r${text}\x1b[${up}B\r`);
  }
}
