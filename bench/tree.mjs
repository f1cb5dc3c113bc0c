// Builds (once) the benchmark trees under bench/work/: tree-v1, a copy of parts of this machine's /usr
// (the recipe of the ostree baseline), and tree-v2, v1 with 2 % of files modified, 250 removed and
// 250 added by a seeded generator. A marker file records the stats; delete bench/work/ to rebuild.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, lstatSync, readdirSync, rmSync, openSync,
  writeSync, closeSync, appendFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const LIB_DIRS = ['python3', 'python3.11', 'systemd', 'node_modules', 'llvm-14', 'git-core'];
const SHARE_DIRS = ['icons', 'doc', 'cmake-3.25', 'vim', 'perl', 'zoneinfo', 'mime', 'i18n'];
const ETC_FILES = ['passwd', 'group', 'shadow', 'hostname', 'hosts', 'fstab', 'os-release', 'nsswitch.conf',
  'profile', 'bash.bashrc'];
const MARKER_VERSION = 2;

function sh(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status})`);
}

/** Deterministic PRNG (mulberry32) so v2 is the same on every machine with the same /usr. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* walk(root, rel = '') {
  const names = readdirSync(join(root, rel)).sort();
  for (const name of names) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(join(root, r));
    yield { rel: r, st };
    if (st.isDirectory()) yield* walk(root, r);
  }
}

export function treeStats(root) {
  let files = 0, symlinks = 0, dirs = 0, bytes = 0;
  for (const { st } of walk(root)) {
    if (st.isFile()) { files++; bytes += st.size; } else if (st.isSymbolicLink()) symlinks++;
    else if (st.isDirectory()) dirs++;
  }
  return { files, symlinks, dirs, bytes };
}

function buildV1(dir) {
  mkdirSync(join(dir, 'usr/lib'), { recursive: true });
  mkdirSync(join(dir, 'usr/share'), { recursive: true });
  for (const d of LIB_DIRS) if (existsSync(`/usr/lib/${d}`)) sh(['cp', '-a', `/usr/lib/${d}`, join(dir, 'usr/lib/')]);
  for (const d of SHARE_DIRS) if (existsSync(`/usr/share/${d}`)) sh(['cp', '-a', `/usr/share/${d}`, join(dir, 'usr/share/')]);
  // A fake kernel and /usr/etc, so the same tree can later be deployed by `ostree admin deploy`.
  const rand = prng(7);
  mkdirSync(join(dir, 'usr/lib/modules/6.1.0-test'), { recursive: true });
  mkdirSync(join(dir, 'usr/etc/sysconfig'), { recursive: true });
  mkdirSync(join(dir, 'usr/bin'), { recursive: true });
  for (const [name, size] of [['vmlinuz', 8 << 20], ['initramfs.img', 16 << 20]]) {
    const buf = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) buf.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
    writeFileSync(join(dir, 'usr/lib/modules/6.1.0-test', name), buf);
  }
  for (const f of ETC_FILES) if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, join(dir, 'usr/etc', f));
  writeFileSync(join(dir, 'usr/etc/sysconfig/test'), 'FOO=1\n');
  copyFileSync('/bin/true', join(dir, 'usr/bin/true'));
}

/** v2: 2 % of regular files modified (big ones get 4 KiB overwritten mid-file, small ones a line
 *  appended), 250 removed, 250 added under usr/share/doc/new-in-v2/. */
function buildV2(v1, v2) {
  sh(['cp', '-a', v1, v2]);
  const rand = prng(42);
  const files = [...walk(v2)].filter((e) => e.st.isFile() && !e.rel.startsWith('usr/lib/modules/')).map((e) => e);
  const pick = (n) => {
    const chosen = new Set();
    for (let guard = 0; chosen.size < n && guard < n * 100; guard++) chosen.add(Math.floor(rand() * files.length));
    return [...chosen].map((i) => files[i]);
  };
  const touched = pick(Math.round(files.length * 0.02) + 250);
  const modify = touched.slice(0, touched.length - 250);
  const remove = touched.slice(touched.length - 250);
  for (const { rel, st } of modify) {
    const p = join(v2, rel);
    if (st.size > 65536) {
      const block = Buffer.alloc(4096);
      for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
      const fd = openSync(p, 'r+');
      try { writeSync(fd, block, 0, block.length, Math.floor(st.size / 2)); } finally { closeSync(fd); }
    } else {
      appendFileSync(p, `# berth bench v2 change ${Math.floor(rand() * 1e9)}\n`);
    }
  }
  for (const { rel } of remove) rmSync(join(v2, rel));
  const added = join(v2, 'usr/share/doc/new-in-v2');
  mkdirSync(added, { recursive: true });
  for (let i = 0; i < 250; i++) {
    const size = 200 + Math.floor(rand() * 20000);
    const lines = [];
    for (let n = 0; lines.join('\n').length < size; n++) lines.push(`new file ${i} line ${n} ${Math.floor(rand() * 1e9)}`);
    writeFileSync(join(added, `new-${String(i).padStart(3, '0')}.txt`), `${lines.join('\n')}\n`);
  }
  return { modified: modify.length, removed: remove.length, added: 250 };
}

/** Returns { v1, v2, stats } and builds what is missing. */
export function ensureTrees(workDir, log = (m) => process.stderr.write(`${m}\n`)) {
  const v1 = join(workDir, 'tree-v1');
  const v2 = join(workDir, 'tree-v2');
  const markerPath = join(workDir, 'trees.json');
  if (existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8'));
    if (marker.version === MARKER_VERSION && existsSync(v1) && existsSync(v2)) return { v1, v2, stats: marker };
  }
  rmSync(v1, { recursive: true, force: true });
  rmSync(v2, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  log('bench: building tree-v1 from /usr (once)…');
  buildV1(v1);
  log('bench: building tree-v2…');
  const changes = buildV2(v1, v2);
  const stats = { version: MARKER_VERSION, v1: treeStats(v1), v2: treeStats(v2), changes };
  writeFileSync(markerPath, `${JSON.stringify(stats, null, 2)}\n`);
  return { v1, v2, stats };
}
