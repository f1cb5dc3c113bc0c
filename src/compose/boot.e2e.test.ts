/**
 * The proof of issue 6: compose a Debian-based berth host (systemd, kernel, Node.js 20) from the
 * machine's apt sources, build a disk image, boot it in qemu (TCG), and check over the serial
 * console that systemd reached multi-user and that berth inside reports the booted deployment;
 * then `berth host upgrade` to a second composed version, reboot into it with the first as
 * rollback, `berth host rollback`, reboot, and find the first again.
 *
 * Slow (minutes, mostly mmdebstrap and TCG boots); runs when BERTH_BOOT_TEST=1. Packages are cached in
 * $BERTH_COMPOSE_CACHE (default /var/cache/berth-test/compose) across runs. Phase timings are
 * printed as test diagnostics and, with BERTH_BOOT_TIMINGS=FILE, written as JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../core/index.js';
import { composeTree } from './compose.js';
import { hostTreefileYaml } from './host-treefile.js';
import { buildDiskImage } from './image.js';
import { imageBootEntries, Vm } from './qemu-vm.js';
import { needRoot, needTools, tempDir } from '../core/test-support.js';

const CHECKOUT = resolve(new URL('../..', import.meta.url).pathname);
const REF = 'berth/x86_64/host';

interface HostStatusJson {
  deployments: { checksum: string; booted: boolean; version?: string }[];
}

test('a composed berth host boots, upgrades to a second compose, and rolls back', { timeout: 60 * 60_000 }, async (t) => {
  if (process.env.BERTH_BOOT_TEST !== '1') {
    t.skip('set BERTH_BOOT_TEST=1 to compose and boot a host (minutes; see docs/compose.md)');
    return;
  }
  if (!needRoot(t)) return;
  if (!(await needTools(t, 'mmdebstrap', 'ostree', 'qemu-system-x86_64', 'sfdisk', 'mkfs.ext4', 'debugfs', 'unshare', 'apt-get'))) return;
  const dir = await tempDir(t, 'berth-boot-');
  const cacheDir = process.env.BERTH_COMPOSE_CACHE ?? '/var/cache/berth-test/compose';
  await mkdir(cacheDir, { recursive: true });
  // The composes live in a repository beside the package cache. Both versions are composed on the ref
  // the host follows, as a real OS stream is: each commit is bound to that ref (ostree.ref-binding),
  // and a pull refuses a commit bound to another ref. The test moves the ref back to v1 for the image.
  // Each run starts the stream afresh (the ref is deleted first), so automatic versions are 13 then 13.1
  // whatever an earlier, possibly interrupted, run left; packages come from the cache.
  const repo = join(cacheDir, 'repo');
  const serialLog = join(dir, 'serial.log');
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    timings[name] = Math.round((now - mark) / 100) / 10;
    mark = now;
    t.diagnostic(`${name}: ${timings[name]} s`);
  };

  await exec(['ostree', `--repo=${repo}`, 'refs', '--delete', REF], { check: false });
  await writeFile(join(dir, 'v1.yaml'), hostTreefileYaml({ ref: REF, versionPrefix: '13' }));
  await writeFile(join(dir, 'v2.yaml'), hostTreefileYaml({ ref: REF, versionPrefix: '13.1', extraPackages: ['less'] }));
  const v1 = await composeTree({ treefile: join(dir, 'v1.yaml'), repo, cacheDir });
  lap(`compose v1${v1.noop ? ' (cached from an earlier run)' : ''}`);
  assert.equal(v1.version, '13');
  const noop = await composeTree({ treefile: join(dir, 'v1.yaml'), repo, cacheDir });
  lap('no-op recompose');
  assert.equal(noop.noop, true);
  assert.equal(noop.checksum, v1.checksum);
  const v2 = await composeTree({ treefile: join(dir, 'v2.yaml'), repo, cacheDir });
  lap(`compose v2, one package added${v2.noop ? ' (cached from an earlier run)' : ''}`);
  assert.equal(v2.version, '13.1');

  const setRef = async (repoPath: string, checksum: string): Promise<void> => {
    await exec(['ostree', `--repo=${repoPath}`, 'refs', '--delete', REF], { check: false });
    await exec(['ostree', `--repo=${repoPath}`, 'refs', `--create=${REF}`, checksum]);
  };
  await setRef(repo, v1.checksum!);
  const image = join(dir, 'disk.img');
  const built = await buildDiskImage({ repo, rev: REF, output: image, remote: { name: 'origin', url: 'file:///mnt/updates' }, refspec: `origin:${REF}` });
  lap('image build');
  // The update server: an archive-mode repository (what ostree serves over HTTP and berth pulls),
  // kept beside the cache so the next run copies only what changed.
  const updates = join(cacheDir, 'updates');
  await exec(['ostree', `--repo=${updates}`, 'init', '--mode=archive'], { check: false });
  await exec(['ostree', `--repo=${updates}`, 'pull-local', repo, v2.checksum!], { timeoutMs: 30 * 60_000 });
  await setRef(updates, v2.checksum!);
  await exec(['ostree', `--repo=${updates}`, 'summary', '-u']);
  lap('update repository (archive)');

  const boot = async (label: string): Promise<Vm> => {
    await appendFile(serialLog, `\n===== ${label} =====\n`);
    const vm = await Vm.boot({
      image,
      rootOffset: built.rootOffset,
      shares: { berth: CHECKOUT, updates },
      onConsole: (s) => void appendFile(serialLog, s).catch(() => undefined),
    });
    t.after(() => vm.dispose());
    await vm.login('root', 30 * 60_000);
    lap(`${label}: power-on to login`);
    const state = await vm.run('systemctl is-system-running --wait', 10 * 60_000);
    if (!/^running$/m.test(state.output)) {
      const failed = await vm.run('systemctl --failed --no-legend; journalctl -b -p err --no-pager | tail -n 30');
      assert.fail(`systemd is ${JSON.stringify(state.output.trim())} after ${label}; failed units and errors:\n${failed.output}`);
    }
    // Not under /run/berth: that is berth's own runtime state directory on the host.
    const mount = await vm.run('mkdir -p /mnt/berth-checkout /mnt/updates && mount -t 9p -o trans=virtio,version=9p2000.L,ro berth /mnt/berth-checkout && mount -t 9p -o trans=virtio,version=9p2000.L,ro updates /mnt/updates');
    assert.equal(mount.status, 0, mount.output);
    return vm;
  };
  const berthStatus = async (vm: Vm): Promise<HostStatusJson> => {
    const r = await vm.run('node /mnt/berth-checkout/dist/cli/bin.js host status --json', 10 * 60_000);
    assert.equal(r.status, 0, r.output);
    return JSON.parse(r.output.slice(r.output.indexOf('{'))) as HostStatusJson;
  };
  const reboot = async (vm: Vm): Promise<void> => {
    vm.write('systemctl reboot\n');
    await vm.exited(5 * 60_000);
    await vm.dispose();
    lap('reboot (shutdown)');
  };

  // Boot 1: v1.
  let vm = await boot('boot 1');
  const node = await vm.run('node --version');
  assert.match(node.output, /^v20\./m, 'Node.js 20 in the composed host');
  const ro = await vm.run('touch /usr/berth-write-test');
  assert.notEqual(ro.status, 0, '/usr is read-only');
  let status = await berthStatus(vm);
  assert.equal(status.deployments.find((d) => d.booted)?.checksum, v1.checksum);
  lap('boot 1: checks');
  const up = await vm.run('node /mnt/berth-checkout/dist/cli/bin.js host upgrade', 20 * 60_000);
  assert.equal(up.status, 0, up.output);
  const diff = await vm.run('node /mnt/berth-checkout/dist/cli/bin.js db diff', 10 * 60_000);
  assert.equal(diff.status, 0, diff.output);
  assert.match(diff.output, /Added:\n\s+less-/, diff.output);
  lap('boot 1: berth host upgrade (pull from the update repository) + db diff');
  await reboot(vm);
  const entries = await imageBootEntries(image, built.rootOffset);
  assert.equal(entries.length, 2, 'new default plus rollback entry');

  // Boot 2: v2, v1 as rollback.
  vm = await boot('boot 2');
  status = await berthStatus(vm);
  assert.equal(status.deployments.find((d) => d.booted)?.checksum, v2.checksum);
  assert.deepEqual(status.deployments.map((d) => d.checksum), [v2.checksum, v1.checksum]);
  assert.equal((await vm.run('command -v less')).status, 0, 'the added package is there');
  const rb = await vm.run('node /mnt/berth-checkout/dist/cli/bin.js host rollback', 10 * 60_000);
  assert.equal(rb.status, 0, rb.output);
  lap('boot 2: checks + berth host rollback');
  await reboot(vm);

  // Boot 3: v1 again.
  vm = await boot('boot 3');
  status = await berthStatus(vm);
  assert.equal(status.deployments.find((d) => d.booted)?.checksum, v1.checksum);
  assert.notEqual((await vm.run('command -v less')).status, 0);
  vm.write('systemctl poweroff\n');
  await vm.exited(5 * 60_000);
  lap('boot 3: checks + poweroff');

  t.diagnostic(`timings: ${JSON.stringify(timings)}`);
  if (process.env.BERTH_BOOT_TIMINGS) await writeFile(process.env.BERTH_BOOT_TIMINGS, `${JSON.stringify(timings, null, 2)}\n`);
});
