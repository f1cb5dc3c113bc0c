// Test-only: builds small RPMs with the real rpmbuild and a yum repository with createrepo_c.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exec } from '../core/index.js';

export interface FixturePackage {
  readonly name: string;
  readonly version: string;
  readonly release?: string;
  readonly arch?: 'noarch' | 'x86_64';
  readonly requires?: readonly string[];
  readonly provides?: readonly string[];
  /** %install body (shell), files go under $RPM_BUILD_ROOT. */
  readonly install: string;
  /** %files lines. */
  readonly files: readonly string[];
  readonly post?: string;
}

function spec(p: FixturePackage): string {
  return [
    `Name: ${p.name}`,
    `Version: ${p.version}`,
    `Release: ${p.release ?? '1'}`,
    `Summary: berth test package ${p.name}`,
    'License: MIT',
    `BuildArch: ${p.arch ?? 'noarch'}`,
    'AutoReqProv: no',
    ...(p.requires ?? []).map((r) => `Requires: ${r}`),
    ...(p.provides ?? []).map((r) => `Provides: ${r}`),
    '',
    '%description',
    `Test package ${p.name} built by berth's tests.`,
    '',
    '%install',
    'mkdir -p $RPM_BUILD_ROOT',
    p.install,
    '',
    ...(p.post !== undefined ? ['%post', p.post, ''] : []),
    '%files',
    ...p.files,
    '',
  ].join('\n');
}

/** Builds every package into `<dir>/repo` and runs createrepo_c there. Returns the repo dir. */
export async function buildRpmRepo(dir: string, packages: readonly FixturePackage[]): Promise<string> {
  const top = path.join(dir, 'rpmbuild');
  const repo = path.join(dir, 'repo');
  await mkdir(path.join(top, 'SPECS'), { recursive: true });
  await mkdir(repo, { recursive: true });
  for (const p of packages) {
    const file = path.join(top, 'SPECS', `${p.name}.spec`);
    await writeFile(file, spec(p));
    await exec(
      ['rpmbuild', '--quiet', '--define', `_topdir ${top}`, '--define', `_rpmdir ${repo}`, '--define', '_build_id_links none', '-bb', file],
      { pkg: 'rpm', env: { ...process.env, HOME: dir }, timeoutMs: 120_000 },
    );
  }
  await exec(['createrepo_c', '-q', repo], { pkg: 'createrepo-c', timeoutMs: 120_000 });
  return repo;
}

export async function listRpms(repo: string): Promise<string[]> {
  return (await readdir(repo, { recursive: true })).filter((n) => n.endsWith('.rpm')).map((n) => path.join(repo, n)).sort();
}

/** A static busybox as /bin/sh, so scriptlets run in an otherwise empty root. */
export const SHELL_PACKAGE: FixturePackage = {
  name: 'berth-test-sh',
  version: '1.0',
  arch: 'x86_64',
  provides: ['/bin/sh', '/usr/bin/sh'],
  install: 'mkdir -p $RPM_BUILD_ROOT/usr/bin && cp /bin/busybox $RPM_BUILD_ROOT/usr/bin/busybox && ln -s busybox $RPM_BUILD_ROOT/usr/bin/sh && mkdir -p $RPM_BUILD_ROOT/bin && ln -s ../usr/bin/busybox $RPM_BUILD_ROOT/bin/sh && for t in mkdir echo cat rm ln; do ln -s busybox $RPM_BUILD_ROOT/usr/bin/$t; done',
  files: ['/usr/bin/busybox', '/usr/bin/sh', '/bin/sh', '/usr/bin/mkdir', '/usr/bin/echo', '/usr/bin/cat', '/usr/bin/rm', '/usr/bin/ln'],
};

export function basePackage(version: string): FixturePackage {
  return {
    name: 'berth-test-base',
    version,
    requires: ['/bin/sh'],
    provides: ['berth-test-api = 1'],
    install: [
      'mkdir -p $RPM_BUILD_ROOT/etc/berth-test $RPM_BUILD_ROOT/usr/share/berth-test',
      `echo "version=${version}" > $RPM_BUILD_ROOT/etc/berth-test/base.conf`,
      `echo "data ${version}" > $RPM_BUILD_ROOT/usr/share/berth-test/data.txt`,
      'ln -s data.txt $RPM_BUILD_ROOT/usr/share/berth-test/link.txt',
    ].join('\n'),
    files: ['%dir /etc/berth-test', '%config(noreplace) /etc/berth-test/base.conf', '/usr/share/berth-test'],
    post: 'mkdir -p /var/lib/berth-test-base && echo ran > /var/lib/berth-test-base/post-ran',
  };
}

export function toolPackage(version: string): FixturePackage {
  return {
    name: 'berth-test-tool',
    version,
    requires: ['berth-test-base >= 1.0', '/bin/sh'],
    install: `mkdir -p $RPM_BUILD_ROOT/usr/bin && printf '#!/bin/sh\\necho tool ${version}\\n' > $RPM_BUILD_ROOT/usr/bin/berth-test-tool && chmod 755 $RPM_BUILD_ROOT/usr/bin/berth-test-tool`,
    files: ['/usr/bin/berth-test-tool'],
  };
}
