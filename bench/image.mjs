#!/usr/bin/env node
// berth pull / push vs skopeo copy, against one docker-registry on 127.0.0.1 started by this script,
// alternating tools, median of N runs. The image: the busybox test image plus a ~48 MB layer of
// 1500 files (half random, half text). `berth pull` also verifies diff_ids and unpacks every layer
// into snapshots (skopeo copy to an OCI dir does neither), so it does strictly more work.
// Usage: node bench/image.mjs [runs=5]   (needs docker-registry and skopeo; builds its own copy of dist
// under bench/work/dist so a concurrent `tsc` does not change the code mid-run)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve, dirname } from 'node:path';
import { tmpdir } from 'node:os';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const runs = Number(process.argv[2] ?? 5);
const dist = join(root, 'bench/work/dist');
{
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root, '--outDir', dist], { stdio: 'inherit' });
  if (r.status !== 0) console.error('bench: tsc reported errors (emitting anyway)');
}
const { buildBusyboxImage, startTestRegistry } = await import(join(dist, 'image/index.js'));

function sh(argv, env = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
/** Wall seconds and CPU seconds (user + sys of the process tree, from /usr/bin/time): wall is noisy on a shared host. */
function timed(argv, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'BERTH-CPU %U %S', ...argv], { encoding: 'utf8', env: { ...process.env, ...env } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const m = /BERTH-CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m === null ? NaN : Number(m[1]) + Number(m[2]) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];


const work = mkdtempSync(join(tmpdir(), 'berth-bench-image-'));
const reg = await startTestRegistry(join(work, 'registry'));
try {
  const files = [];
  for (let i = 0; i < 1500; i++) {
    const size = 16 * 1024 + (i % 17) * 1024;
    const content = i % 2 === 0 ? randomBytes(size) : Buffer.from(`line ${i}\n`.repeat(Math.ceil(size / 10)).slice(0, size));
    files.push({ path: `data/d${i % 30}/f${i}`, content });
  }
  const built = await buildBusyboxImage({ dir: join(work, 'img'), extraLayers: [files] });
  const mb = (built.layers.reduce((a, l) => a + l.size, 0) / 1e6).toFixed(1);
  sh(['skopeo', 'copy', '--dest-tls-verify=false', built.ociRef, `docker://${reg.host}/bench/src:latest`]);
  const berth = [process.execPath, join(dist, 'cli/bin.js')];
  const pullB = [];
  const pullS = [];
  const pushB = [];
  const pushS = [];
  for (let i = 0; i < runs; i++) {
    const broot = join(work, `broot-${i}`);
    const sdir = join(work, `oci-${i}`);
    pullS.push(timed(['skopeo', 'copy', '--src-tls-verify=false', `docker://${reg.host}/bench/src:latest`, `oci:${sdir}:latest`]));
    pullB.push(timed([...berth, 'pull', '-q', `${reg.host}/bench/src:latest`], { BERTH_ROOT: broot }));
    // push to a fresh repository each time; either tool may mount blobs from bench/src if it knows they are there
    pushS.push(timed(['skopeo', 'copy', '--dest-tls-verify=false', `oci:${sdir}:latest`, `docker://${reg.host}/bench/s${i}:latest`]));
    sh([...berth, 'tag', `${reg.host}/bench/src:latest`, `${reg.host}/bench/b${i}:latest`], { BERTH_ROOT: broot });
    pushB.push(timed([...berth, 'push', '-q', `${reg.host}/bench/b${i}:latest`], { BERTH_ROOT: broot }));
    rmSync(broot, { recursive: true, force: true });
    rmSync(sdir, { recursive: true, force: true });
  }
  const line = (xs) => xs.map((x) => x.wall.toFixed(2)).join(', ');
  const w = (xs) => median(xs.map((x) => x.wall));
  const c = (xs) => median(xs.map((x) => x.cpu));
  const load = (await import('node:os')).loadavg()[0].toFixed(1);
  const text = `
## Images: berth pull/push vs skopeo copy — ${new Date().toISOString().slice(0, 16)}Z

Command: \`node bench/image.mjs ${runs}\` (docker-registry 2.8 on 127.0.0.1; image = busybox test image + a layer of
1500 files, ${mb} MB compressed). berth pull = fetch + verify + unpack into snapshots (as root); skopeo copy = fetch
into an OCI dir (no unpack). push goes to a fresh repository; both tools may mount blobs across repositories
(berth records where it pulled them from, skopeo keeps a blob-info cache). Whole-process times, alternating,
${runs} runs each; CPU = user + sys from /usr/bin/time. Load average at the end: ${load} (2 vCPUs).

| operation | berth wall s | skopeo wall s | wall ratio | berth CPU s | skopeo CPU s | CPU ratio | berth wall runs | skopeo wall runs |
|---|---|---|---|---|---|---|---|---|
| pull | ${w(pullB).toFixed(2)} | ${w(pullS).toFixed(2)} | ${(w(pullB) / w(pullS)).toFixed(2)} | ${c(pullB).toFixed(2)} | ${c(pullS).toFixed(2)} | ${(c(pullB) / c(pullS)).toFixed(2)} | ${line(pullB)} | ${line(pullS)} |
| push | ${w(pushB).toFixed(2)} | ${w(pushS).toFixed(2)} | ${(w(pushB) / w(pushS)).toFixed(2)} | ${c(pushB).toFixed(2)} | ${c(pushS).toFixed(2)} | ${(c(pushB) / c(pushS)).toFixed(2)} | ${line(pushB)} | ${line(pushS)} |
`;
  appendFileSync(join(root, 'bench/RESULTS.md'), text);
  process.stdout.write(text);
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}
