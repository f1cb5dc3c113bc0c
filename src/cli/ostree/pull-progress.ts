import type { PullProgress, PullResult } from '../../ostree/pull/index.js';

/**
 * How pulls report progress: one overall line redrawn in place on a TTY, a quiet line every
 * few seconds otherwise, or JSON lines (`--progress=json`), then ostree's one-line summary.
 * Renderers are pure; the clock is injected.
 */
export type ProgressMode = 'tty' | 'quiet' | 'json' | 'none';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

export function renderProgressLine(p: PullProgress, width = 30): string {
  const done = p.metadataFetched + p.contentFetched + p.deltaPartsFetched;
  const total = Math.max(done, p.requested + p.deltaParts);
  const frac = total === 0 ? 0 : done / total;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}]`;
  const delta = p.deltaParts > 0 ? `delta parts ${p.deltaPartsFetched}/${p.deltaParts}, ` : '';
  return `${bar} ${Math.round(frac * 100)}% ${delta}${p.metadataFetched} metadata, ${p.contentFetched} content objects, ${formatBytes(p.bytes)}`;
}

/** ostree's closing line, e.g. `10 metadata, 2 content objects fetched; 1 KiB transferred in 0 seconds; 5 bytes content written`. */
export function renderPullSummary(r: PullResult): string {
  const kib = Math.round(r.bytesTransferred / 1024);
  const parts = r.deltaPartsFetched > 0 ? `${r.deltaPartsFetched} delta parts, ${r.contentFetched + r.metadataFetched} loose fetched` : `${r.metadataFetched} metadata, ${r.contentFetched} content objects fetched`;
  return `${parts}; ${kib} KiB transferred in ${Math.round(r.seconds)} seconds; ${formatBytes(r.contentBytesWritten)} content written`;
}

export function progressReporter(
  mode: ProgressMode,
  out: { write(s: string): unknown },
  now: () => number = Date.now,
): { update: (p: PullProgress) => void; finish: () => void } {
  let last = 0;
  let drawn = false;
  const gap = mode === 'tty' ? 100 : mode === 'json' ? 200 : 5000;
  return {
    update: (p) => {
      if (mode === 'none') return;
      const t = now();
      if (p.phase !== 'done' && t - last < gap) return;
      last = t;
      if (mode === 'json') out.write(`${JSON.stringify({ type: 'progress', ...p })}\n`);
      else if (mode === 'tty') {
        out.write(`\r\x1b[K${renderProgressLine(p)}`);
        drawn = true;
      } else if (p.phase !== 'done') out.write(`${renderProgressLine(p)}\n`);
    },
    finish: () => {
      if (drawn) out.write('\r\x1b[K');
    },
  };
}
