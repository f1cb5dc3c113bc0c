/**
 * Applying a NoCloud seed to a host: the `berth host provision` logic, against a target given as its
 * /etc and /var directories (the running system's, or a deployment's etc and its stateroot's var in
 * a sysroot), so it is tested on a tmpfs tree.
 *
 * Order: check everything that can be checked (paths, owners, group members, the target itself)
 * before the first change, so a bad seed changes nothing; then hostname, groups, users (shadow's
 * groupadd/useradd/usermod with --prefix: uid allocation, locking and backups are theirs), homes under
 * /var/home with /etc/skel and ~/.ssh/authorized_keys, sudoers.d, write_files, container units
 * (enabled like `systemctl enable`), runcmd; the record under /var/lib/berth/provision last. Every
 * step is idempotent, so a crash before the record means the next boot applies the seed again.
 */
import { chmod, chown, cp, lchown, lstat, mkdir, readFile, readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec, exists, isErrno, which, writeFileAtomic } from '../../core/index.js';
import type { Seed, SeedContainer } from '../../formats/index.js';
import { ProvisionPathNotWritable, ProvisionStepFailed, ProvisionTargetInvalid, ProvisionUnknownName } from './errors.js';
import type { LoadedSeed } from './seed-source.js';
import { readProvisionRecord, writeProvisionRecord, PROVISION_STATE_DIR, type ProvisionRecord } from './state.js';

export interface ProvisionTarget {
  /** The target's /etc. */
  readonly etc: string;
  /** The target's /var (on an ostree host: the stateroot's var). */
  readonly var: string;
  /** The running system: also set the kernel's host name, reload systemd, start units, run runcmd. */
  readonly live: boolean;
}

export interface RenderedUnit {
  readonly name: string;
  readonly text: string;
}

export interface ProvisionOptions {
  /** A container to run → its systemd unit (the CLI passes `berth generate systemd --new`'s renderer). */
  readonly renderContainerUnit: (c: SeedContainer, seed: Seed) => RenderedUnit;
  /** Apply even when the recorded instance-id is the seed's. */
  readonly force?: boolean;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

export type ProvisionOutcome =
  | { readonly applied: false; readonly record: ProvisionRecord }
  | { readonly applied: true; readonly record: ProvisionRecord };

/** Where paths a seed names live on an ostree host: /etc, /var, and the top-level links into /var. */
const VAR_ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['/home', 'home'],
  ['/root', 'roothome'],
  ['/opt', 'opt'],
  ['/srv', 'srv'],
  ['/mnt', 'mnt'],
  ['/usr/local', 'usrlocal'],
];

/** Host path of an absolute path in the target, or undefined when the target cannot change it. */
export function targetPath(target: ProvisionTarget, abs: string): string | undefined {
  const p = path.posix.normalize(abs);
  const under = (prefix: string): string | undefined => (p === prefix ? '' : p.startsWith(`${prefix}/`) ? p.slice(prefix.length + 1) : undefined);
  const etc = under('/etc');
  if (etc !== undefined) return path.join(target.etc, etc);
  const v = under('/var');
  if (v !== undefined) return path.join(target.var, v);
  for (const [alias, inVar] of VAR_ALIASES) {
    const rest = under(alias);
    if (rest !== undefined) return path.join(target.var, inVar, rest);
  }
  return undefined;
}

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

async function readPasswd(etc: string): Promise<Map<string, PasswdEntry>> {
  const out = new Map<string, PasswdEntry>();
  for (const line of await readLines(path.join(etc, 'passwd'))) {
    const f = line.split(':');
    if (f.length >= 7) out.set(f[0]!, { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

async function readGroups(etc: string): Promise<Map<string, { gid: number; members: string[] }>> {
  const out = new Map<string, { gid: number; members: string[] }>();
  for (const line of await readLines(path.join(etc, 'group'))) {
    const f = line.split(':');
    if (f.length >= 4) out.set(f[0]!, { gid: Number(f[2]), members: f[3]!.split(',').filter((m) => m !== '') });
  }
  return out;
}

async function shadowField(etc: string, name: string): Promise<string> {
  const line = (await readLines(path.join(etc, 'shadow'))).find((l) => l.startsWith(`${name}:`));
  return line?.split(':')[1] ?? '';
}

function homeOf(user: Seed['users'][number]): string {
  return user.homedir ?? (user.name === 'root' ? '/root' : `/var/home/${user.name}`);
}

/** Refuses a path whose existing components (below the target's etc or var) include a symlink. */
async function checkNoSymlinkParents(target: ProvisionTarget, hostPath: string, key: string, abs: string): Promise<void> {
  if (target.live) return; // the running system's own links (e.g. /etc/resolv.conf) are its business
  const base = hostPath.startsWith(`${target.etc}/`) ? target.etc : target.var;
  const rel = path.relative(base, path.dirname(hostPath));
  let cur = base;
  for (const part of rel === '' ? [] : rel.split('/')) {
    cur = path.join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (st === undefined) return;
    if (st.isSymbolicLink()) {
      throw new ProvisionPathNotWritable(`${key}: ${JSON.stringify(abs)} leads through the symlink ${JSON.stringify(cur)}, which may point outside the target`, { key, path: abs });
    }
  }
}

interface Plan {
  readonly files: ReadonlyArray<{ readonly hostPath: string; readonly file: Seed['files'][number] }>;
  readonly homes: ReadonlyMap<string, string>;
  readonly needsShadow: boolean;
}

/** Everything checked before the first change. */
async function plan(target: ProvisionTarget, seed: Seed): Promise<Plan> {
  if (!(await exists(path.join(target.etc, 'passwd'))) || !(await exists(path.join(target.etc, 'group')))) {
    throw new ProvisionTargetInvalid(`${JSON.stringify(target.etc)} has no passwd and group files`, { path: target.etc });
  }
  if (!(await exists(target.var))) throw new ProvisionTargetInvalid(`No var directory ${JSON.stringify(target.var)}`, { path: target.var });
  const passwd = await readPasswd(target.etc);
  const groups = await readGroups(target.etc);
  const userNames = new Set([...passwd.keys(), ...seed.users.map((u) => u.name)]);
  // useradd makes a user's private group (USERGROUPS_ENAB, Debian's default) and groups seeds name.
  const groupNames = new Set([...groups.keys(), ...seed.groups.map((g) => g.name), ...seed.users.flatMap((u) => [u.name, ...u.groups])]);

  seed.groups.forEach((g, i) => {
    for (const m of g.members) {
      if (!userNames.has(m)) throw new ProvisionUnknownName(`groups[${i}]: member ${JSON.stringify(m)} of ${JSON.stringify(g.name)} is no user of the target or the seed`, { key: `groups[${i}]`, name: m });
    }
  });
  const homes = new Map<string, string>();
  for (const [i, u] of seed.users.entries()) {
    if (u.primaryGroup !== undefined && !groupNames.has(u.primaryGroup)) {
      throw new ProvisionUnknownName(`users[${i}].primary_group: no group ${JSON.stringify(u.primaryGroup)}`, { key: `users[${i}].primary_group`, name: u.primaryGroup });
    }
    const existing = passwd.get(u.name);
    const home = existing?.home ?? homeOf(u);
    // A new user gets a home unless system/no_create_home; anyone given keys needs one for them.
    const needsHome = u.sshAuthorizedKeys.length > 0 || (existing === undefined && !(u.system || u.noCreateHome));
    if (!needsHome) continue;
    const hostHome = targetPath(target, home);
    if (hostHome === undefined) {
      throw new ProvisionPathNotWritable(`users[${i}]: home ${JSON.stringify(home)} is not under /var (or /home, /root)`, { key: `users[${i}].homedir`, path: home });
    }
    await checkNoSymlinkParents(target, hostHome, `users[${i}].homedir`, home);
    homes.set(u.name, hostHome);
  }
  const files: { hostPath: string; file: Seed['files'][number] }[] = [];
  for (const [i, f] of seed.files.entries()) {
    const key = `write_files[${i}].path`;
    const hostPath = targetPath(target, f.path);
    if (hostPath === undefined || hostPath === target.etc || hostPath === target.var) {
      throw new ProvisionPathNotWritable(`${key}: ${JSON.stringify(f.path)} is read-only on an atomic host (write under /etc or /var)`, { key, path: f.path });
    }
    await checkNoSymlinkParents(target, hostPath, key, f.path);
    if (!userNames.has(f.owner)) throw new ProvisionUnknownName(`write_files[${i}].owner: no user ${JSON.stringify(f.owner)}`, { key: `write_files[${i}].owner`, name: f.owner });
    if (!groupNames.has(f.group)) throw new ProvisionUnknownName(`write_files[${i}].owner: no group ${JSON.stringify(f.group)}`, { key: `write_files[${i}].owner`, name: f.group });
    files.push({ hostPath, file: f });
  }
  const needsShadow = seed.users.length > 0 || seed.groups.length > 0;
  if (needsShadow) {
    for (const tool of ['useradd', 'usermod', 'groupadd']) {
      if ((await which(tool)) === undefined) throw new ProvisionTargetInvalid(`${tool} is not installed (Debian package "passwd")`, { path: tool });
    }
  }
  return { files, homes, needsShadow };
}

/** useradd & co. on the target's /etc: `--prefix` for a tree, nothing for the running system. */
function shadowArgs(target: ProvisionTarget): string[] {
  return target.live ? [] : ['--prefix', path.dirname(target.etc)];
}

async function shadow(step: string, argv: string[]): Promise<void> {
  const r = await exec(argv, { check: false, pkg: 'passwd' });
  if (r.exitCode !== 0) throw new ProvisionStepFailed(`${step}: ${argv.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`, { step });
}

async function ensureDir(dir: string, mode: number, uid: number, gid: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await chown(dir, uid, gid);
  await chmod(dir, mode);
}

/** Copies /etc/skel into a new home (files owned by the user), as useradd -m would. */
async function copySkel(skel: string, home: string, uid: number, gid: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(skel);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const name of names) {
    const dest = path.join(home, name);
    await cp(path.join(skel, name), dest, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    const walk = async (p: string): Promise<void> => {
      const st = await lstat(p);
      await lchown(p, uid, gid);
      if (st.isDirectory()) for (const n of await readdir(p)) await walk(path.join(p, n));
    };
    await walk(dest);
  }
}

/** Applies a seed once per instance-id. Returns whether anything was applied and the record. */
export async function provision(target: ProvisionTarget, loaded: LoadedSeed, options: ProvisionOptions): Promise<ProvisionOutcome> {
  const log = options.log ?? (() => undefined);
  const seed = loaded.seed;
  const previous = await readProvisionRecord(target.var);
  if (previous !== undefined && previous['instance-id'] === seed.metaData.instanceId && options.force !== true) {
    return { applied: false, record: previous };
  }
  const p = await plan(target, seed);
  const now = (options.now ?? (() => new Date()))();
  const px = shadowArgs(target);

  if (seed.hostname !== undefined) {
    log(`hostname: ${seed.hostname}`);
    await writeFileAtomic(path.join(target.etc, 'hostname'), `${seed.hostname}\n`);
    if (target.live) await writeFile('/proc/sys/kernel/hostname', seed.hostname).catch((err: unknown) => log(`hostname: cannot set the running host name: ${(err as Error).message}`));
  }

  // Groups first: users name them.
  let groups = await readGroups(target.etc);
  const wantGroups = [...seed.groups.map((g) => g.name), ...seed.users.flatMap((u) => [...u.groups, ...(u.primaryGroup !== undefined ? [u.primaryGroup] : [])])];
  for (const g of new Set(wantGroups)) {
    if (groups.has(g)) continue;
    log(`group: ${g}`);
    await shadow(`group ${g}`, ['groupadd', ...px, g]);
    groups = await readGroups(target.etc);
  }

  const users: ProvisionRecord['users'][number][] = [];
  for (const u of seed.users) {
    const existing = (await readPasswd(target.etc)).get(u.name);
    if (existing === undefined) {
      log(`user: ${u.name} (new)`);
      const argv = ['useradd', ...px, '-M', '-d', homeOf(u), ...(u.shell !== undefined ? ['-s', u.shell] : []), ...(u.gecos !== undefined ? ['-c', u.gecos] : [])];
      if (u.uid !== undefined) argv.push('-u', String(u.uid));
      if (u.primaryGroup !== undefined) argv.push('-g', u.primaryGroup);
      if (u.groups.length > 0) argv.push('-G', u.groups.join(','));
      if (u.system) argv.push('-r');
      if (u.passwd !== undefined) argv.push('-p', u.passwd.replace(/^!/, ''));
      await shadow(`user ${u.name}`, [...argv, u.name]);
    } else {
      log(`user: ${u.name} (exists: groups, shell, password, keys updated)`);
      const argv = ['usermod', ...px];
      if (u.groups.length > 0) argv.push('-a', '-G', u.groups.join(','));
      if (u.shell !== undefined) argv.push('-s', u.shell);
      if (u.gecos !== undefined) argv.push('-c', u.gecos);
      if (u.passwd !== undefined) argv.push('-p', u.passwd.replace(/^!/, ''));
      if (argv.length > 1 + px.length) await shadow(`user ${u.name}`, [...argv, u.name]);
    }
    // cloud-init's lock_passwd (default true): the password, kept or not, cannot be used to log in.
    if (u.lockPasswd && !(await shadowField(target.etc, u.name)).startsWith('!')) await shadow(`user ${u.name}`, ['usermod', ...px, '-L', u.name]);
    const entry = (await readPasswd(target.etc)).get(u.name);
    if (entry === undefined) throw new ProvisionStepFailed(`user ${u.name}: useradd left no passwd entry`, { step: `user ${u.name}` });
    const hostHome = p.homes.get(u.name);
    if (hostHome !== undefined) {
      if (!(await exists(hostHome))) {
        await ensureDir(path.dirname(hostHome), 0o755, 0, 0);
        await ensureDir(hostHome, 0o700, entry.uid, entry.gid);
        await copySkel(path.join(target.etc, 'skel'), hostHome, entry.uid, entry.gid);
      }
      if (u.sshAuthorizedKeys.length > 0) {
        const sshDir = path.join(hostHome, '.ssh');
        await ensureDir(sshDir, 0o700, entry.uid, entry.gid);
        const file = path.join(sshDir, 'authorized_keys');
        const have = await readLines(file);
        const lines = [...have, ...u.sshAuthorizedKeys.filter((k) => !have.includes(k))];
        await writeFileAtomic(file, `${lines.join('\n')}\n`, { mode: 0o600 });
        await chown(file, entry.uid, entry.gid);
      }
    }
    if (u.sudo.length > 0) {
      const dir = path.join(target.etc, 'sudoers.d');
      await mkdir(dir, { recursive: true, mode: 0o750 });
      await writeFileAtomic(path.join(dir, `90-berth-${u.name}`), `# berth host provision (instance ${seed.metaData.instanceId})\n${u.sudo.map((r) => `${u.name} ${r}`).join('\n')}\n`, { mode: 0o440 });
    }
    users.push({ name: u.name, uid: entry.uid, home: entry.home, keys: u.sshAuthorizedKeys.length, sudo: u.sudo.length > 0 });
  }
  for (const g of seed.groups) {
    const members = (await readGroups(target.etc)).get(g.name)?.members ?? [];
    for (const m of g.members) if (!members.includes(m)) await shadow(`group ${g.name}`, ['usermod', ...px, '-a', '-G', g.name, m]);
  }

  const passwd = await readPasswd(target.etc);
  groups = await readGroups(target.etc);
  for (const { hostPath, file } of p.files) {
    log(`file: ${file.path}`);
    const uid = passwd.get(file.owner)?.uid;
    const gid = groups.get(file.group)?.gid;
    if (uid === undefined || gid === undefined) throw new ProvisionUnknownName(`write_files: no owner ${JSON.stringify(`${file.owner}:${file.group}`)} after creating users`, { key: 'write_files', name: `${file.owner}:${file.group}` });
    await mkdir(path.dirname(hostPath), { recursive: true, mode: 0o755 });
    const before = file.append ? await readFile(hostPath).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
    await writeFileAtomic(hostPath, Buffer.concat([before, file.content]), { mode: file.permissions });
    await chown(hostPath, uid, gid);
  }

  const containers: ProvisionRecord['containers'][number][] = [];
  const unitDir = path.join(target.etc, 'systemd/system');
  for (const c of seed.containers) {
    const unit = options.renderContainerUnit(c, seed);
    log(`container: ${c.name} (${unit.name})`);
    await mkdir(path.join(unitDir, 'default.target.wants'), { recursive: true, mode: 0o755 });
    await writeFileAtomic(path.join(unitDir, unit.name), unit.text);
    // What `systemctl enable` writes for WantedBy=default.target (an absolute link into /etc).
    const link = path.join(unitDir, 'default.target.wants', unit.name);
    await unlink(link).catch(() => undefined);
    await symlink(`/etc/systemd/system/${unit.name}`, link);
    containers.push({ name: c.name, image: c.image, unit: unit.name });
  }

  // The seed as applied, root-only (user-data may hold password hashes); state.json beside is public.
  await mkdir(path.join(target.var, PROVISION_STATE_DIR), { recursive: true, mode: 0o755 });
  await mkdir(path.join(target.var, PROVISION_STATE_DIR, 'instances'), { recursive: true, mode: 0o700 });
  const instanceDir = path.join(target.var, PROVISION_STATE_DIR, 'instances', seed.metaData.instanceId);
  await mkdir(instanceDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(instanceDir, 'meta-data'), loaded.metaData, { mode: 0o600 });
  if (loaded.userData !== undefined) await writeFileAtomic(path.join(instanceDir, 'user-data'), loaded.userData, { mode: 0o600 });

  let runcmd: ProvisionRecord['runcmd'] = null;
  if (seed.runcmd.length > 0) {
    const script = path.join(instanceDir, 'runcmd');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    await writeFileAtomic(script, `#!/bin/sh\n${seed.runcmd.map((c) => (typeof c === 'string' ? c : c.map(q).join(' '))).join('\n')}\n`, { mode: 0o700 });
    if (target.live) {
      log('runcmd: running');
      const r = await exec(['/bin/sh', script], { check: false, timeoutMs: 15 * 60_000 });
      if (r.stdout.length > 0) log(r.stdout.toString().trimEnd());
      if (r.stderr.length > 0) log(r.stderr.toString().trimEnd());
      runcmd = { commands: seed.runcmd.length, exit: r.exitCode ?? -1 };
    } else runcmd = { commands: seed.runcmd.length, exit: null };
  }

  if (target.live && seed.containers.length > 0 && (await exists('/run/systemd/system'))) {
    await exec(['systemctl', 'daemon-reload'], { check: false });
    for (const c of containers) await exec(['systemctl', 'start', '--no-block', c.unit], { check: false });
  }

  const record: ProvisionRecord = {
    'instance-id': seed.metaData.instanceId,
    applied: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    source: loaded.source,
    'seed-sha256': loaded.digest,
    hostname: seed.hostname ?? null,
    users,
    groups: seed.groups.map((g) => g.name),
    files: seed.files.map((f) => f.path),
    containers,
    runcmd,
    previous: previous === undefined ? null : { 'instance-id': previous['instance-id'], applied: previous.applied },
  };
  await writeProvisionRecord(target.var, record);
  log(`recorded instance ${seed.metaData.instanceId} in /var/${PROVISION_STATE_DIR}/state.json`);
  return { applied: true, record };
}
