// Test helpers for sysroot tests (imported only by *.test.ts): a tmpfs per test, trees and
// commits made with the real ostree CLI. Never touches the machine's root filesystem.
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import { exec } from '../core/index.js';

/** A fresh tmpfs mounted on a temp dir, unmounted and removed after the test. */
export async function tmpfsDir(t: TestContext, size = '512m'): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'berth-sysroot-'));
  await exec(['mount', '-t', 'tmpfs', '-o', `size=${size}`, `berth-${randomBytes(4).toString('hex')}`, dir]);
  t.after(async () => {
    // A socket or process a test left in the tmpfs can hold it busy for a moment: retry
    // (bounded), then detach it lazily rather than leak the mount.
    for (let i = 0; i < 10; i++) {
      if ((await exec(['umount', dir], { check: false })).exitCode === 0) break;
      if (i === 9) await exec(['umount', '--lazy', dir], { check: false });
      else await new Promise((r) => setTimeout(r, 100));
    }
    await fsp.rmdir(dir).catch(() => undefined);
  });
  return dir;
}

export interface TreeSpec {
  readonly version?: string;
  readonly prettyName?: string;
  readonly kernel?: string; // kernel bytes seed: same seed, same bootcsum
  readonly kver?: string;
  readonly etc?: Readonly<Record<string, string>>;
  readonly files?: Readonly<Record<string, string>>;
}

/** Writes an OS tree the way composes produce them (usr/etc, kernel in usr/lib/modules). */
export async function makeTree(dir: string, spec: TreeSpec = {}): Promise<void> {
  const kver = spec.kver ?? '6.1.0-berth';
  const mod = path.join(dir, 'usr/lib/modules', kver);
  await fsp.mkdir(mod, { recursive: true });
  await fsp.writeFile(path.join(mod, 'vmlinuz'), `kernel ${spec.kernel ?? 'k1'}\n`.repeat(64));
  await fsp.writeFile(path.join(mod, 'initramfs.img'), `initramfs ${spec.kernel ?? 'k1'}\n`.repeat(32));
  await fsp.writeFile(path.join(dir, 'usr/lib/os-release'), `NAME="Berth"\nPRETTY_NAME="${spec.prettyName ?? 'Berth Test OS'}"\nID=berth\n`);
  const etc = { hostname: 'default-host\n', 'motd': 'hello\n', 'sysconfig/a.conf': 'A=1\n', ...(spec.etc ?? {}) };
  for (const [rel, content] of Object.entries(etc)) {
    await fsp.mkdir(path.dirname(path.join(dir, 'usr/etc', rel)), { recursive: true });
    await fsp.writeFile(path.join(dir, 'usr/etc', rel), content);
  }
  for (const [rel, content] of Object.entries(spec.files ?? { 'usr/bin/tool': '#!/bin/sh\n' })) {
    await fsp.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fsp.writeFile(path.join(dir, rel), content);
  }
  for (const d of ['var', 'boot', 'sysroot', 'proc', 'sys', 'dev', 'run', 'tmp']) await fsp.mkdir(path.join(dir, d), { recursive: true });
}

export async function ostreeCommit(repo: string, tree: string, ref: string, version?: string): Promise<string> {
  const args = ['ostree', `--repo=${repo}`, 'commit', '-b', ref, `--tree=dir=${tree}`, '--no-bindings'];
  if (version !== undefined) args.push(`--add-metadata-string=version=${version}`);
  return (await exec(args)).stdout.toString().trim();
}

/** `ostree admin init-fs` + `os-init` with the real tool: a sysroot as ostree makes it. */
export async function ostreeSysroot(dir: string, stateroot = 'test'): Promise<string> {
  const s = path.join(dir, 'sysroot');
  await fsp.mkdir(s);
  await exec(['ostree', 'admin', 'init-fs', s]);
  await exec(['ostree', 'admin', `--sysroot=${s}`, 'os-init', stateroot]);
  return s;
}

export async function ostreeAdmin(sysroot: string, ...args: string[]): Promise<string> {
  return (await exec(['ostree', 'admin', `--sysroot=${sysroot}`, ...args])).stdout.toString();
}
