#!/usr/bin/env node
// Compose benchmark: the minimal berth host (src/compose/host-treefile.ts) against its peer,
// a bare `mmdebstrap` of the same package set with the same options (what compose adds on top:
// apt index check, postprocessing with dracut, the OSTree commit). Also: no-op recompose,
// incremental composes after adding one package (hello: no dracut module names it, so the
// initramfs is reused; less: dracut's base module installs it, so dracut runs), disk image build,
// and power-on to login under qemu (KVM when hardware-backed, else TCG). Needs root and a built
// tree (`npx tsc -p .`). Packages come from $BERTH_COMPOSE_CACHE/debs (default
// /var/cache/berth-test/compose), so downloads are not measured after the first run; the compose
// cache directory (apt state, cached root) is the run's own. Wall and CPU seconds (this process
// and its children) per step. Usage: node bench/compose.mjs [--no-boot] [--no-append]
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const { composeTree, hostTreefileYaml, buildDiskImage, loadTreefile } = await import(join(root, 'dist/compose/index.js'));
const { resolveAptSources } = await import(join(root, 'dist/compose/apt-sources.js'));
const { mmdebstrapArgv } = await import(join(root, 'dist/compose/debian.js'));
const { Vm, probeAccel } = await import(join(root, 'dist/compose/qemu-vm.js'));
const accel = await probeAccel();

const args = process.argv.slice(2);
const debs = join(process.env.BERTH_COMPOSE_CACHE ?? '/var/cache/berth-test/compose', 'debs');
const work = mkdtempSync(join(tmpdir(), 'berth-bench-compose-'));
const cacheDir = join(work, 'cache');
mkdirSync(debs, { recursive: true });
mkdirSync(cacheDir);
symlinkSync(debs, join(cacheDir, 'debs'));
const results = [];
// CPU seconds of this process plus its waited-for children (/proc/self/stat cutime + cstime).
const cpu = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const u = process.cpuUsage();
  return (Number(f[13]) + Number(f[14])) / 100 + (u.user + u.system) / 1e6;
};
const time = async (name, fn) => {
  const t0 = performance.now();
  const c0 = cpu();
  const r = await fn();
  const s = (performance.now() - t0) / 1000;
  const c = cpu() - c0;
  const load = loadavg()[0];
  const note = r?.install ? `${r.install.path}${r.install.reason ? ` (${r.install.reason})` : ''}${r.install.initramfsReused ? ', initramfs reused' : r.install.initramfsReused === false ? ', dracut ran' : ''}; ${Object.entries(r.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}` : r?.noop ? 'no-op' : '';
  results.push([name, s, c, load, note]);
  console.error(`${name}: ${s.toFixed(1)} s wall, ${c.toFixed(1)} s CPU, load ${load.toFixed(1)} ${note}`);
  return r;
};

try {
  const repo = join(work, 'repo');
  writeFileSync(join(work, 'v1.yaml'), hostTreefileYaml({ ref: 'bench/host' }));
  writeFileSync(join(work, 'v2.yaml'), hostTreefileYaml({ ref: 'bench/host', extraPackages: ['hello'] }));
  writeFileSync(join(work, 'v3.yaml'), hostTreefileYaml({ ref: 'bench/host', extraPackages: ['hello', 'less'] }));

  // Peer: mmdebstrap alone, same argv compose would use (cache synced in and out).
  const { treefile } = await loadTreefile(join(work, 'v1.yaml'));
  const sources = await resolveAptSources(treefile);
  writeFileSync(join(work, 'peer.sources'), sources.deb822);
  const peerArgv = mmdebstrapArgv(
    { treefile, target: join(work, 'peer-rootfs'), sources, cacheDir: debs, workDir: work },
    { sources: join(work, 'peer.sources') },
  );
  await time('peer: mmdebstrap (same packages, cached .debs)', () =>
    execFileSync(peerArgv[0], peerArgv.slice(1), { stdio: 'ignore', env: { ...process.env, INITRD: 'No' } }));
  rmSync(join(work, 'peer-rootfs'), { recursive: true, force: true });

  const v1 = await time('berth compose tree (fresh repo, cached .debs)', () => composeTree({ treefile: join(work, 'v1.yaml'), repo, cacheDir }));
  await time('berth compose tree, no-op (unchanged inputs)', () => composeTree({ treefile: join(work, 'v1.yaml'), repo, cacheDir }));
  await time('berth compose tree, one package added (hello)', () => composeTree({ treefile: join(work, 'v2.yaml'), repo, cacheDir }));
  await time('berth compose tree, one more package added (less)', () => composeTree({ treefile: join(work, 'v3.yaml'), repo, cacheDir }));
  const image = join(work, 'disk.img');
  const built = await time('berth compose image (raw, GRUB)', () => buildDiskImage({ repo, rev: v1.checksum, output: image }));
  if (!args.includes('--no-boot')) {
    await time(`boot to login (qemu ${accel.accel.toUpperCase()}, direct kernel from BLS)`, async () => {
      const vm = await Vm.boot({ image, rootOffset: built.rootOffset });
      try {
        await vm.login('root', 20 * 60_000);
      } finally {
        await vm.dispose();
      }
    });
  }
  const peer = results[0][1];
  const line = (n, s, c, load, note) => `| ${n} | ${s.toFixed(1)} | ${c.toFixed(1)} | ${(s / peer).toFixed(2)} | ${load.toFixed(1)} | ${note} |`;
  const md = [
    '',
    `## Compose: berth compose vs mmdebstrap — ${new Date().toISOString().slice(0, 16)}Z`,
    '',
    'Command: `node bench/compose.mjs` (root; host treefile of src/compose/host-treefile.ts: Debian 13, systemd, kernel,',
    'dracut, ostree-boot, nodejs; .deb cache warm). Ratio = time / the bare mmdebstrap run of the same package set.',
    '',
    '| step | wall s | CPU s | ratio to mmdebstrap (wall) | 1-min load after | install path; phases (s) |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => line(...r)),
    '',
    `qemu accelerator: ${accel.accel}${accel.reason ? ` (${accel.reason})` : ''}. Load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}.`,
    '',
  ].join('\n');
  process.stdout.write(md);
  if (!args.includes('--no-append')) appendFileSync(join(root, 'bench/RESULTS.md'), md);
} finally {
  rmSync(work, { recursive: true, force: true });
}
