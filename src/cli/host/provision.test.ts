// `berth host provision` on a tmpfs sysroot: a NoCloud seed applied to the default deployment's etc and
// its stateroot's var with the real shadow tools, checked with the peers (systemctl --root, systemd-analyze,
// getent-free parsing of passwd/shadow/group), once per instance-id, and nothing changed by a bad seed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { exec } from '../../core/index.js';
import { needRoot, needTools } from '../../core/test-support.js';
import { BerthRepo, Sysroot, sysrootTesting } from '../../sysroot/index.js';
import { PROVISION_UNIT_NAME, provisionUnitText } from '../../compose/index.js';
import type { CommandContext } from '../context.js';
import { main } from '../main.js';

const { makeTree, ostreeCommit, ostreeSysroot, tmpfsDir } = sysrootTesting;

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdP1Xz0YhZ4pS0d8uHqK3mC7l0ZbOkqgV2sM4n9r8Xy alice@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq0Jm2n8fX9w3dQmVv8sR1c7k2ZtYpL0aB4eN6uCd5T ops@bastion';
const HASH = '$6$rounds=5000$saltsalt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF2Uf9yJj9QyQ6tbXmD7wP3nF2w4J0J6nQ6Jr8E1v2wz3XmQJ1';

function ctxWith(): { ctx: CommandContext; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (b: Buffer) => (o += b.toString()));
  stderr.on('data', (b: Buffer) => (e += b.toString()));
  return { ctx: { stdout, stderr, stdin: new PassThrough(), env: { ...process.env, BERTH_DEBUG: '1' }, cwd: process.cwd() }, out: () => o, err: () => e };
}

async function berth(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = ctxWith();
  const code = await main(argv, c.ctx);
  return { code, out: c.out(), err: c.err() };
}

/** A Debian-like /usr/etc: base-passwd's users and groups, shadow files, login.defs, skel. */
async function debianEtc(): Promise<Record<string, string>> {
  const passwd = await fsp.readFile('/usr/share/base-passwd/passwd.master', 'utf8');
  const group = await fsp.readFile('/usr/share/base-passwd/group.master', 'utf8');
  const names = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => l.split(':')[0]!);
  return {
    passwd,
    group,
    shadow: names(passwd).map((n) => `${n}:*:19000:0:99999:7:::\n`).join(''),
    gshadow: names(group).map((n) => `${n}:*::\n`).join(''),
    'login.defs': await fsp.readFile('/etc/login.defs', 'utf8'),
    'skel/.profile': '# ~/.profile from skel\n',
    hostname: 'berth\n',
  };
}

interface Setup {
  readonly dir: string;
  readonly sysroot: string;
  readonly deployDir: () => Promise<string>;
  readonly varDir: string;
  readonly seed: (name: string, metaData: string, userData: string) => Promise<string>;
}

async function setup(t: TestContext): Promise<Setup | undefined> {
  if (!needRoot(t) || !(await needTools(t, 'ostree', 'useradd', 'systemctl', 'systemd-analyze'))) return undefined;
  const dir = await tmpfsDir(t);
  const sysroot = await ostreeSysroot(dir);
  const tree = path.join(dir, 'tree');
  await makeTree(tree, { etc: await debianEtc(), files: { 'usr/bin/berth': '#!/bin/sh\n' } });
  await fsp.chmod(path.join(tree, 'usr/etc/shadow'), 0o640);
  await fsp.chmod(path.join(tree, 'usr/etc/gshadow'), 0o640);
  await fsp.chmod(path.join(tree, 'usr/bin/berth'), 0o755);
  await ostreeCommit(path.join(sysroot, 'ostree/repo'), tree, 'test/os', '1');
  const r = await berth('ostree', 'admin', `--sysroot=${sysroot}`, 'deploy', '--os=test', '--karg=root=/dev/vda1', 'test/os');
  assert.equal(r.code, 0, r.err);
  const deployDir = async (): Promise<string> => {
    const loaded = await Sysroot.load({ path: sysroot, openRepo: (p) => BerthRepo.open(p) });
    return loaded.deploymentDir(loaded.deployments[0]!);
  };
  const seed = async (name: string, metaData: string, userData: string): Promise<string> => {
    const d = path.join(dir, name);
    await fsp.mkdir(d);
    await fsp.writeFile(path.join(d, 'meta-data'), metaData);
    await fsp.writeFile(path.join(d, 'user-data'), userData);
    return d;
  };
  return { dir, sysroot, deployDir, varDir: path.join(sysroot, 'ostree/deploy/test/var'), seed };
}

const USER_DATA = `#cloud-config
hostname: node1
users:
  - default
  - name: alice
    gecos: Alice Example
    groups: [sudo, ops]
    shell: /bin/bash
    lock_passwd: false
    passwd: ${HASH}
    ssh_authorized_keys: ['${KEY_A}']
ssh_authorized_keys: ['${KEY_B}']
write_files:
  - path: /etc/motd
    content: "welcome to node1\\n"
  - path: /etc/app/secret.conf
    permissions: '0640'
    owner: alice:ops
    encoding: b64
    content: ${Buffer.from('token=42\n').toString('base64')}
  - path: /srv/www/index.html
    content: "<h1>hi</h1>\\n"
runcmd:
  - echo provisioned > /var/tmp/runcmd-ran
berth:
  containers:
    - name: web
      image: docker.io/library/nginx:1.27
      ports: ['8080:80']
      env: {MODE: prod}
      volumes: ['/var/srv/www:/usr/share/nginx/html:ro']
      restart: always
`;

interface PasswdLine {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

async function passwdOf(etc: string): Promise<Map<string, PasswdLine>> {
  const m = new Map<string, PasswdLine>();
  for (const l of (await fsp.readFile(path.join(etc, 'passwd'), 'utf8')).split('\n').filter(Boolean)) {
    const [name, , uid, gid, gecos, home, shell] = l.split(':');
    m.set(name!, { name: name!, uid: Number(uid), gid: Number(gid), gecos: gecos!, home: home!, shell: shell! });
  }
  return m;
}

async function fieldOf(file: string, name: string, field: number): Promise<string | undefined> {
  const line = (await fsp.readFile(file, 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  return line?.split(':')[field];
}

/** Every path under dir with its type, mode, owner and content hash: equal snapshots, nothing changed. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    let what = '';
    if (st.isFile()) what = createHash('sha256').update(await fsp.readFile(p)).digest('hex');
    else if (st.isSymbolicLink()) what = await fsp.readlink(p);
    out.push(`${path.relative(dir, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${what}`);
    if (st.isDirectory()) for (const n of (await fsp.readdir(p)).sort()) await walk(path.join(p, n));
  };
  await walk(dir);
  return out;
}

test('host provision applies a seed to the deployment: hostname, users, keys, sudo, files, container units; recorded and in status', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const seed = await s.seed('seed', 'instance-id: iid-0001\nlocal-hostname: ignored-by-hostname\n', USER_DATA);
  const r = await berth('host', `--sysroot=${s.sysroot}`, 'provision', `--seed=${seed}`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Provisioned instance iid-0001 from dir:/);
  const etc = path.join(await s.deployDir(), 'etc');

  assert.equal(await fsp.readFile(path.join(etc, 'hostname'), 'utf8'), 'node1\n');

  // Users through useradd: passwd, shadow, group, gshadow.
  const pw = await passwdOf(etc);
  const alice = pw.get('alice')!;
  assert.deepEqual([alice.gecos, alice.home, alice.shell], ['Alice Example', '/var/home/alice', '/bin/bash']);
  assert.ok(alice.uid >= 1000, `uid ${alice.uid}`);
  const deflt = pw.get('berth')!;
  assert.equal(deflt.home, '/var/home/berth');
  assert.equal(await fieldOf(path.join(etc, 'shadow'), 'alice', 1), HASH);
  assert.equal(await fieldOf(path.join(etc, 'shadow'), 'berth', 1), '!', 'the default user has no password (locked)');
  const groupFile = path.join(etc, 'group');
  assert.deepEqual((await fieldOf(groupFile, 'sudo', 3))!.split(',').sort(), ['alice', 'berth']);
  assert.equal(await fieldOf(groupFile, 'ops', 3), 'alice');
  assert.equal(await fieldOf(path.join(etc, 'gshadow'), 'ops', 3), 'alice');
  assert.equal((await fsp.stat(path.join(etc, 'shadow'))).mode & 0o777, 0o640);

  // Homes in the stateroot's /var, with skel and keys, owned by the user.
  const home = path.join(s.varDir, 'home/alice');
  const hs = await fsp.stat(home);
  assert.deepEqual([hs.mode & 0o7777, hs.uid, hs.gid], [0o700, alice.uid, alice.gid]);
  assert.equal(await fsp.readFile(path.join(home, '.profile'), 'utf8'), '# ~/.profile from skel\n');
  assert.equal((await fsp.stat(path.join(home, '.profile'))).uid, alice.uid);
  const ssh = await fsp.stat(path.join(home, '.ssh'));
  assert.deepEqual([ssh.mode & 0o7777, ssh.uid], [0o700, alice.uid]);
  const ak = await fsp.stat(path.join(home, '.ssh/authorized_keys'));
  assert.deepEqual([ak.mode & 0o7777, ak.uid, ak.gid], [0o600, alice.uid, alice.gid]);
  assert.equal(await fsp.readFile(path.join(home, '.ssh/authorized_keys'), 'utf8'), `${KEY_A}\n`);
  assert.equal(await fsp.readFile(path.join(s.varDir, 'home/berth/.ssh/authorized_keys'), 'utf8'), `${KEY_B}\n`);
  const sudoers = path.join(etc, 'sudoers.d/90-berth-berth');
  assert.match(await fsp.readFile(sudoers, 'utf8'), /^berth ALL=\(ALL\) NOPASSWD:ALL$/m);
  assert.equal((await fsp.stat(sudoers)).mode & 0o777, 0o440);
  await assert.rejects(fsp.stat(path.join(etc, 'sudoers.d/90-berth-alice')), { code: 'ENOENT' });

  // Files: content, modes, owners resolved in the target's passwd/group; /srv lands in /var/srv.
  assert.equal(await fsp.readFile(path.join(etc, 'motd'), 'utf8'), 'welcome to node1\n');
  const secret = await fsp.stat(path.join(etc, 'app/secret.conf'));
  const opsGid = Number(await fieldOf(groupFile, 'ops', 2));
  assert.deepEqual([secret.mode & 0o7777, secret.uid, secret.gid], [0o640, alice.uid, opsGid]);
  assert.equal(await fsp.readFile(path.join(etc, 'app/secret.conf'), 'utf8'), 'token=42\n');
  assert.equal(await fsp.readFile(path.join(s.varDir, 'srv/www/index.html'), 'utf8'), '<h1>hi</h1>\n');

  // The container unit: berth generate systemd --new's shape, enabled as systemctl sees it.
  const unitFile = path.join(etc, 'systemd/system/container-web.service');
  const unit = await fsp.readFile(unitFile, 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/berth run --rm --name web -e MODE=prod -p 8080:80 -v \/var\/srv\/www:\/usr\/share\/nginx\/html:ro docker\.io\/library\/nginx:1\.27$/m);
  assert.match(unit, /^Restart=always$/m);
  const enabled = await exec(['systemctl', `--root=${await s.deployDir()}`, 'is-enabled', 'container-web.service'], { check: false });
  assert.equal(enabled.stdout.toString().trim(), 'enabled', enabled.stderr.toString());
  // systemd-analyze verify, with berth's path pointed at an executable that exists on this machine.
  const fake = path.join(s.dir, 'bin-berth');
  await fsp.writeFile(fake, '#!/bin/sh\n', { mode: 0o755 });
  const verifyDir = path.join(s.dir, 'verify');
  await fsp.mkdir(verifyDir);
  await fsp.writeFile(path.join(verifyDir, 'container-web.service'), unit.replaceAll('/usr/bin/berth', fake));
  await fsp.writeFile(path.join(verifyDir, PROVISION_UNIT_NAME), provisionUnitText(fake));
  for (const name of ['container-web.service', PROVISION_UNIT_NAME]) {
    const v = await exec(['systemd-analyze', 'verify', '--man=no', path.join(verifyDir, name)], { check: false });
    const complaints = v.stderr.toString().split('\n').filter((l) => l.includes(name));
    assert.deepEqual(complaints, [], v.stderr.toString());
  }

  // runcmd is kept as a script; it runs only on the running system.
  const instanceDir = path.join(s.varDir, 'lib/berth/provision/instances/iid-0001');
  assert.equal(await fsp.readFile(path.join(instanceDir, 'runcmd'), 'utf8'), '#!/bin/sh\necho provisioned > /var/tmp/runcmd-ran\n');
  assert.equal((await fsp.stat(path.join(instanceDir, 'user-data'))).mode & 0o777, 0o600);
  await assert.rejects(fsp.stat('/var/tmp/runcmd-ran'), { code: 'ENOENT' });

  // Recorded under /var and shown by status.
  const record = JSON.parse(await fsp.readFile(path.join(s.varDir, 'lib/berth/provision/state.json'), 'utf8'));
  assert.equal(record['instance-id'], 'iid-0001');
  assert.deepEqual(record.users.map((u: { name: string }) => u.name), ['berth', 'alice']);
  assert.deepEqual(record.containers, [{ name: 'web', image: 'docker.io/library/nginx:1.27', unit: 'container-web.service' }]);
  assert.deepEqual(record.runcmd, { commands: 1, exit: null });
  const st = await berth('host', `--sysroot=${s.sysroot}`, 'status', '--json');
  assert.equal(st.code, 0, st.err);
  const json = JSON.parse(st.out);
  assert.equal(json['berth-provision']['instance-id'], 'iid-0001');
  assert.equal(json['berth-provision'].hostname, 'node1');
  const human = await berth('host', `--sysroot=${s.sysroot}`, 'status');
  assert.match(human.out, /^Provisioned: instance iid-0001 \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\) from dir:.*\n  Applied: hostname node1; users berth, alice; 3 files; containers web; runcmd not run$/m);

  // Same instance-id: a no-op that changes nothing.
  const before = await snapshot(s.sysroot);
  const again = await berth('host', `--sysroot=${s.sysroot}`, 'provision', `--seed=${seed}`);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /^Already provisioned for instance iid-0001/);
  assert.deepEqual(await snapshot(s.sysroot), before);

  // A new instance-id applies again: users are updated, not duplicated; keys merged.
  const seed2 = await s.seed('seed2', 'instance-id: iid-0002\n', `#cloud-config\nhostname: node2\nusers:\n  - name: alice\n    ssh_authorized_keys: ['${KEY_A}', '${KEY_B}']\n`);
  const third = await berth('host', `--sysroot=${s.sysroot}`, 'provision', `--seed=${seed2}`);
  assert.equal(third.code, 0, third.err);
  assert.equal(await fsp.readFile(path.join(etc, 'hostname'), 'utf8'), 'node2\n');
  assert.equal((await fsp.readFile(path.join(etc, 'passwd'), 'utf8')).split('\n').filter((l) => l.startsWith('alice:')).length, 1);
  assert.equal((await passwdOf(etc)).get('alice')!.uid, alice.uid);
  assert.equal(await fsp.readFile(path.join(home, '.ssh/authorized_keys'), 'utf8'), `${KEY_A}\n${KEY_B}\n`);
  assert.equal(await fieldOf(path.join(etc, 'shadow'), 'alice', 1), `!${HASH}`, 'lock_passwd defaults to true: the kept hash is locked');
  const rec2 = JSON.parse(await fsp.readFile(path.join(s.varDir, 'lib/berth/provision/state.json'), 'utf8'));
  assert.deepEqual([rec2['instance-id'], rec2.previous['instance-id']], ['iid-0002', 'iid-0001']);

  // /etc changes survive an upgrade through the 3-way /etc merge; the record lives in the shared /var.
  const tree2 = path.join(s.dir, 'tree2');
  await makeTree(tree2, { etc: await debianEtc(), files: { 'usr/bin/berth': '#!/bin/sh\n', 'usr/bin/v2': 'v2\n' } });
  await fsp.chmod(path.join(tree2, 'usr/etc/shadow'), 0o640);
  await ostreeCommit(path.join(s.sysroot, 'ostree/repo'), tree2, 'test/os', '2');
  const up = await berth('ostree', 'admin', `--sysroot=${s.sysroot}`, 'deploy', '--os=test', 'test/os');
  assert.equal(up.code, 0, up.err);
  const newEtc = path.join(await s.deployDir(), 'etc');
  assert.notEqual(newEtc, etc);
  assert.equal(await fsp.readFile(path.join(newEtc, 'hostname'), 'utf8'), 'node2\n');
  assert.ok((await passwdOf(newEtc)).has('alice'));
  assert.ok(await fsp.readFile(path.join(newEtc, 'systemd/system/container-web.service'), 'utf8'));
  const after = await berth('host', `--sysroot=${s.sysroot}`, 'provision', `--seed=${seed2}`);
  assert.match(after.out, /^Already provisioned for instance iid-0002/);
});

test('host provision: a bad seed fails with a stable code and changes nothing', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const cases: ReadonlyArray<readonly [string, string, string, RegExp]> = [
    ['bad-yaml', 'instance-id: i1\n', '#cloud-config\nusers:\n  - name: Bad Name\n', /users\[0\]\.name/],
    ['unknown-key', 'instance-id: i1\n', '#cloud-config\npackages: [vim]\n', /user-data:2: packages: Unknown key/],
    ['no-instance', 'local-hostname: x\n', '#cloud-config\n', /meta-data:1: instance-id/],
    ['read-only-path', 'instance-id: i1\n', '#cloud-config\nhostname: h\nusers: [{name: carol}]\nwrite_files: [{path: /etc/ok, content: x}, {path: /usr/bin/evil, content: x}]\n', /write_files\[1\]\.path: "\/usr\/bin\/evil" is read-only/],
    ['unknown-owner', 'instance-id: i1\n', '#cloud-config\nhostname: h\nusers: [{name: carol}]\nwrite_files: [{path: /etc/x, owner: "mallory:root"}]\n', /write_files\[0\]\.owner: no user "mallory"/],
    ['unknown-member', 'instance-id: i1\n', '#cloud-config\ngroups: [{ops: [nobody2]}]\n', /member "nobody2"/],
  ];
  const codes = new Map<string, string>([
    ['bad-yaml', 'FORMAT_SEED_INVALID'], ['unknown-key', 'FORMAT_SEED_INVALID'], ['no-instance', 'FORMAT_SEED_INVALID'],
    ['read-only-path', 'PROVISION_PATH_NOT_WRITABLE'], ['unknown-owner', 'PROVISION_UNKNOWN_NAME'], ['unknown-member', 'PROVISION_UNKNOWN_NAME'],
  ]);
  const before = await snapshot(s.sysroot);
  for (const [name, meta, user, message] of cases) {
    const seed = await s.seed(name, meta, user);
    const r = await berth('host', `--sysroot=${s.sysroot}`, 'provision', `--seed=${seed}`, '--json');
    assert.equal(r.code, 2, `${name}: ${r.err}`);
    assert.match(r.err, message, name);
    const json = JSON.parse(r.err.trim().split('\n').pop()!) as { code: string };
    assert.equal(json.code, codes.get(name), name);
    assert.deepEqual(await snapshot(s.sysroot), before, `${name} changed the sysroot`);
  }
  const missing = await berth('host', `--sysroot=${s.sysroot}`, 'provision');
  assert.equal(missing.code, 4);
  assert.match(missing.err, /No provisioning seed/);
  const atBoot = await berth('host', `--sysroot=${s.sysroot}`, 'provision', '--boot');
  assert.equal(atBoot.code, 0, atBoot.err);
  assert.match(atBoot.out, /nothing to do/);
  assert.deepEqual(await snapshot(s.sysroot), before);
});

test('host provision finds a seed in the target\'s /var/lib/cloud/seed/nocloud (where compose image --seed puts it)', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { installSeedDir } = await import('../../compose/index.js');
  // An existing system user (home /nonexistent) only gets the group: its home is not touched.
  const src = await s.seed('img-seed', 'instance-id: from-image\nlocal-hostname: imaged\n', '#cloud-config\nusers: [{name: nobody, groups: [adm]}]\n');
  await installSeedDir(s.varDir, src);
  const seedDir = path.join(s.varDir, 'lib/cloud/seed/nocloud');
  assert.equal((await fsp.stat(seedDir)).mode & 0o777, 0o700);
  assert.equal((await fsp.stat(path.join(seedDir, 'meta-data'))).mode & 0o777, 0o600);
  const r = await berth('host', `--sysroot=${s.sysroot}`, 'provision', '--boot');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Provisioned instance from-image from dir:\/var\/lib\/cloud\/seed\/nocloud$/m);
  assert.equal(await fsp.readFile(path.join(await s.deployDir(), 'etc/hostname'), 'utf8'), 'imaged\n');
  assert.ok((await fieldOf(path.join(await s.deployDir(), 'etc/group'), 'adm', 3))!.split(',').includes('nobody'));
  assert.equal((await passwdOf(path.join(await s.deployDir(), 'etc'))).get('nobody')!.home, '/nonexistent');
});

test('compose seed writes a cidata disk that host provision applies (vfat and iso9660)', async (t) => {
  const s = await setup(t);
  if (!s || !(await needTools(t, 'mkfs.vfat', 'mcopy', 'xorriso'))) return;
  for (const [i, format] of (['vfat', 'iso9660'] as const).entries()) {
    const src = await s.seed(`disk-${format}`, `instance-id: disk-${i}\n`, `#cloud-config\nhostname: from-${format}\nusers: [{name: dave, groups: [adm]}]\n`);
    const img = path.join(s.dir, `seed-${format}.img`);
    const w = await berth('compose', 'seed', `--format=${format}`, '-o', img, src);
    assert.equal(w.code, 0, w.err);
    assert.match(w.out, new RegExp(`^Wrote .* \\(${format}, label (CIDATA|cidata)\\): instance disk-${i}, hostname from-${format}, 1 user\\(s\\)`));
    const before = await snapshot(s.sysroot);
    const dry = await berth('host', `--sysroot=${s.sysroot}`, 'provision', '--dry-run', `--seed=${img}`);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, new RegExp(`^Seed image:.* \\(instance disk-${i}\\) is valid:\n  hostname: from-${format}\n  users: dave\n`));
    assert.deepEqual(await snapshot(s.sysroot), before, '--dry-run changes nothing');
    const r = await berth('host', `--sysroot=${s.sysroot}`, 'provision', `--seed=${img}`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Provisioned instance disk-${i} from image:${img}\n`);
    const etc = path.join(await s.deployDir(), 'etc');
    assert.equal(await fsp.readFile(path.join(etc, 'hostname'), 'utf8'), `from-${format}\n`);
    assert.ok((await fieldOf(path.join(etc, 'group'), 'adm', 3))!.split(',').includes('dave'));
  }
  const bad = await s.seed('disk-bad', 'instance-id: x\n', '#cloud-config\nusers: [{name: eve, sudo: "ALL\\nALL"}]\n');
  const w = await berth('compose', 'seed', '-o', path.join(s.dir, 'bad.img'), bad);
  assert.equal(w.code, 2);
  assert.match(w.err, /user-data:2: users\[0\]\.sudo: A sudo rule must be one line/);
  await assert.rejects(fsp.stat(path.join(s.dir, 'bad.img')), { code: 'ENOENT' });
});
