import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatG, humanDuration, humanSize, imageRows } from './render.js';
import type { ImageSummary } from '../../image/index.js';

test('humanSize() matches go-units HumanSizeWithPrecision(size, 3)', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'], [5, '5B'], [999, '999B'], [1000, '1kB'], [1234, '1.23kB'], [2007040, '2.01MB'], [1028540, '1.03MB'],
    [999_500, '1e+03kB'], [7_500_000_000, '7.5GB'], [123_456_789, '123MB'],
  ];
  for (const [n, s] of cases) assert.equal(humanSize(n), s, String(n));
  assert.equal(formatG(0.000012345, 3), '1.23e-05');
});

test('humanDuration() matches go-units HumanDuration', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [500, 'Less than a second'], [1 * s, '1 second'], [59 * s, '59 seconds'], [60 * s, 'About a minute'], [45 * 60 * s, '45 minutes'],
    [90 * 60 * s, '2 hours'], [3600 * s, 'About an hour'], [47 * 3600 * s, '47 hours'], [3 * 86400 * s, '3 days'],
    [20 * 86400 * s, '2 weeks'], [100 * 86400 * s, '3 months'], [Date.UTC(2026, 10, 27), '56 years'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
});

test('imageRows() lists tags, digests and dangling images as docker images does', () => {
  const base = { created: 0, size: 1, labels: {}, parentId: '' };
  const d = `sha256:${'d'.repeat(64)}`;
  const imgs: ImageSummary[] = [
    { ...base, id: 'sha256:1', repoTags: ['busybox:latest', 'busybox:1'], repoDigests: [`busybox@${d}`] },
    { ...base, id: 'sha256:2', repoTags: [], repoDigests: [`r.io/x@${d}`] },
    { ...base, id: 'sha256:3', repoTags: [], repoDigests: [] },
  ];
  const plain = imageRows(imgs, { digests: false }).map((r) => `${r.repository} ${r.tag} ${r.digest}`);
  assert.deepEqual(plain, ['busybox 1 <none>', 'busybox latest <none>', 'r.io/x <none> ', '<none> <none> <none>']);
  const withDigests = imageRows(imgs, { digests: true }).map((r) => `${r.repository} ${r.tag} ${r.digest}`);
  assert.deepEqual(withDigests, [`busybox 1 ${d}`, `busybox latest ${d}`, `r.io/x <none> ${d}`, '<none> <none> <none>']);
});

test('ProgressPrinter prints status lines when piped and rewrites layer rows on a TTY', async () => {
  const { ProgressPrinter, progressBar } = await import('./render.js');
  let piped = '';
  const p = new ProgressPrinter({ write: (s: string) => (piped += s) }, false);
  p.print({ status: 'Pulling from library/busybox', id: 'latest' });
  p.print({ status: 'Pulling fs layer', id: 'abc' });
  p.print({ status: 'Downloading', id: 'abc', progressDetail: { current: 10, total: 100 } });
  p.print({ status: 'Pull complete', id: 'abc' });
  p.print({ status: 'Digest: sha256:x' });
  assert.equal(piped, 'latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Pull complete\nDigest: sha256:x\n');
  let tty = '';
  const q = new ProgressPrinter({ write: (s: string) => (tty += s) }, true);
  q.print({ status: 'Pulling fs layer', id: 'a' });
  q.print({ status: 'Pulling fs layer', id: 'b' });
  q.print({ status: 'Downloading', id: 'a', progressDetail: { current: 500, total: 1000 } });
  assert.equal(tty, `a: Pulling fs layer\nb: Pulling fs layer\n\x1b[2A\x1b[2K\ra: Downloading ${progressBar(500, 1000)}\x1b[2B\r`);
  assert.equal(progressBar(500, 1000), `[${'='.repeat(24)}>${' '.repeat(25)}]  500B/1kB`);
});
