import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { exec } from '../../core/index.js';
import { needTools, tempDir } from '../../core/test-support.js';
import { buildBusyboxImage, startTestRegistry } from '../../image/index.js';
import type { CommandContext } from '../context.js';
import { main } from '../main.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

function harness(root: string, cwd: string, extraEnv: Record<string, string> = {}) {
  return async (argv: string[], stdin = ''): Promise<Run> => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (b: Buffer) => (out += b.toString()));
    stderr.on('data', (b: Buffer) => (err += b.toString()));
    const ctx: CommandContext = {
      stdout,
      stderr,
      stdin: Readable.from([Buffer.from(stdin)]),
      env: { ...process.env, BERTH_ROOT: root, HOME: cwd, DOCKER_CONFIG: path.join(cwd, '.docker'), ...extraEnv },
      cwd,
    };
    const code = await main(argv, ctx);
    return { code, out, err };
  };
}

test('berth load / images / tag / rmi / save / image inspect behave like docker', async (t) => {
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir, tag: 'busybox:1.35' });
  const berth = harness(path.join(dir, 'root'), dir);
  assert.deepEqual(await berth(['load', '-i', built.dockerArchive]), { code: 0, out: 'Loaded image: busybox:1.35\n', err: '' });
  const short = built.imageId.slice(7, 19);
  const ls = await berth(['images']);
  assert.equal(ls.code, 0);
  assert.equal(
    ls.out,
    'REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\n' + `busybox      1.35      ${short}   56 years ago   ${(await berth(['images', '--format', '{{.Size}}'])).out.trim()}\n`,
  );
  assert.match((await berth(['images', '--format', '{{.Size}}'])).out, /^\d\.\d\dMB\n$/);
  assert.equal((await berth(['tag', 'busybox:1.35', 'example.com/team/app'])).code, 0);
  assert.equal((await berth(['images', '-q'])).out, `${short}\n${short}\n`);
  const json = (await berth(['images', '--format', '{{json .}}'])).out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(json.map((j) => `${j.Repository}:${j.Tag}`), ['busybox:1.35', 'example.com/team/app:latest']);
  assert.deepEqual(Object.keys(json[0]), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']);
  assert.equal(json[0].CreatedAt, '1970-01-01 00:00:00 +0000 UTC');
  assert.equal((await berth(['images', '--format', 'table {{.Repository}}\t{{.ID}}', 'busybox'])).out, `REPOSITORY   IMAGE ID\nbusybox      ${short}\n`);
  assert.equal((await berth(['images', '--no-trunc', '--format', '{{.ID}}', 'example.com/team/app'])).out, `${built.imageId}\n`);
  const inspect = JSON.parse((await berth(['image', 'inspect', 'busybox:1.35'])).out);
  assert.equal(inspect[0].Id, built.imageId);
  assert.deepEqual(inspect[0].RepoTags, ['busybox:1.35', 'example.com/team/app:latest']);
  assert.deepEqual(inspect[0].Config.Cmd, ['/bin/sh']);
  assert.equal((await berth(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}} {{json .RootFS.Layers}}', short])).out, `linux/amd64 ${JSON.stringify(built.diffIds)}\n`);
  const missing = await berth(['image', 'inspect', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error: No such image: nope\n');
  const saved = path.join(dir, 'out.tar');
  assert.equal((await berth(['save', '-o', saved, 'busybox:1.35'])).code, 0);
  assert.equal((await berth(['rmi', short])).code, 6, 'two repositories: must be forced');
  assert.deepEqual(await berth(['rmi', 'example.com/team/app']), { code: 0, out: 'Untagged: example.com/team/app:latest\n', err: '' });
  assert.deepEqual(await berth(['rmi', 'busybox:1.35']), { code: 0, out: `Untagged: busybox:1.35\nDeleted: ${built.imageId}\n`, err: '' });
  assert.equal((await berth(['images', '-q'])).out, '');
  const again = await berth(['load'], '');
  assert.notEqual(again.code, 0);
  assert.deepEqual(await berth(['image', 'load', '-i', saved]), { code: 0, out: 'Loaded image: busybox:1.35\n', err: '' });
  assert.equal((await berth(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).out, 'busybox:1.35\n');
  assert.deepEqual(await berth(['image', 'prune', '-f']), { code: 0, out: 'Total reclaimed space: 0B\n', err: '' }, 'nothing dangling');
  const pruned = await berth(['image', 'prune', '-a'], 'y\n');
  assert.match(pruned.out, new RegExp(`^WARNING! This will remove all images without at least one container associated to them\\.\nAre you sure you want to continue\\? \\[y/N\\] Deleted Images:\nuntagged: busybox:1\\.35\ndeleted: ${built.imageId}\n\nTotal reclaimed space: \\d+(\\.\\d+)?MB\n$`));
  assert.equal((await berth(['images', '-q'])).out, '');
  assert.equal((await berth(['rmi', 'nope:1'])).err, 'error: No such image: nope:1\n');
});

test('berth pull/push with oci: and docker-archive: transports', async (t) => {
  if (!(await needTools(t, 'skopeo'))) return;
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir });
  const berth = harness(path.join(dir, 'root'), dir);
  assert.deepEqual(await berth(['pull', `oci:${built.ociDir}:latest`]), { code: 0, out: 'Loaded image: localhost/oci:latest\n', err: '' });
  assert.equal((await berth(['push', 'localhost/oci', 'oci:out:v1'])).out, `${built.manifestDigest}\n`);
  const info = JSON.parse((await exec(['skopeo', 'inspect', `oci:${path.join(dir, 'out')}:v1`])).stdout.toString());
  assert.equal(info.Digest, built.manifestDigest);
  assert.equal((await berth(['push', 'localhost/oci', 'docker-archive:a.tar:example.com/x:y'])).code, 0);
  const cfg = (await exec(['skopeo', 'inspect', '--raw', '--config', `docker-archive:${path.join(dir, 'a.tar')}:example.com/x:y`])).stdout;
  assert.equal(cfg.toString(), built.configBytes.toString());
});

test('berth login / push / pull / logout against a registry with basic auth', async (t) => {
  if (!(await needTools(t, 'docker-registry', 'skopeo'))) return;
  const reg = await startTestRegistry(await tempDir(t, 'berth-registry-'), { auth: 'htpasswd' });
  t.after(() => reg.stop());
  const dir = await tempDir(t);
  const built = await buildBusyboxImage({ dir, tag: `${reg.host}/cli/busybox:v1` });
  const berth = harness(path.join(dir, 'root'), dir);
  await berth(['load', '-i', built.dockerArchive]);
  const denied = await berth(['push', `${reg.host}/cli/busybox:v1`]);
  assert.equal(denied.code, 8);
  assert.match(denied.err, /authentication required/);
  const bad = await berth(['login', '-u', reg.username, '--password-stdin', reg.host], 'nope\n');
  assert.equal(bad.code, 8);
  assert.deepEqual(await berth(['login', '-u', reg.username, '--password-stdin', reg.host], `${reg.password}\n`), { code: 0, out: 'Login Succeeded\n', err: '' });
  const config = JSON.parse(await fsp.readFile(path.join(dir, '.docker', 'config.json'), 'utf8'));
  assert.equal(Buffer.from(config.auths[reg.host].auth, 'base64').toString(), `${reg.username}:${reg.password}`);
  const push = await berth(['push', `${reg.host}/cli/busybox:v1`]);
  assert.equal(push.code, 0, push.err);
  const lines = push.out.trim().split('\n');
  assert.equal(lines[0], `The push refers to repository [${reg.host}/cli/busybox]`);
  const digestLine = lines[lines.length - 1]!;
  assert.match(digestLine, /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/);
  const digest = digestLine.split(' ')[2]!;
  const info = JSON.parse((await exec(['skopeo', 'inspect', '--tls-verify=false', '--authfile', path.join(dir, '.docker', 'config.json'), `docker://${reg.host}/cli/busybox:v1`])).stdout.toString());
  assert.equal(info.Digest, digest);
  const berth2 = harness(path.join(dir, 'root2'), dir);
  const pull = await berth2(['pull', `${reg.host}/cli/busybox:v1`]);
  assert.equal(pull.code, 0, pull.err);
  assert.equal(pull.out.split('\n')[0], `v1: Pulling from cli/busybox`);
  assert.match(pull.out, new RegExp(`Digest: ${digest}\nStatus: Downloaded newer image for ${reg.host}/cli/busybox:v1\n${reg.host}/cli/busybox:v1\n$`));
  const digests = await berth2(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
  assert.equal(digests.out, `${reg.host}/cli/busybox v1 ${digest}\n`);
  // pull -a: every tag of the repository
  assert.equal((await berth(['tag', `${reg.host}/cli/busybox:v1`, `${reg.host}/cli/busybox:v2`])).code, 0);
  assert.equal((await berth(['push', '-q', `${reg.host}/cli/busybox:v2`])).out, `${reg.host}/cli/busybox:v2\n`);
  const all = await berth2(['pull', '-a', `${reg.host}/cli/busybox`]);
  assert.equal(all.code, 0, all.err);
  assert.match(all.out, /Status: Image is up to date for .*:v1\n/);
  assert.match(all.out, /Status: Downloaded newer image for .*:v2\n/);
  assert.equal((await berth2(['images', '--format', '{{.Tag}}'])).out, 'v1\nv2\n');
  assert.deepEqual(await berth(['logout', reg.host]), { code: 0, out: `Removing login credentials for ${reg.host}\n`, err: '' });
  assert.deepEqual(await berth(['logout', reg.host]), { code: 0, out: `Not logged in to ${reg.host}\n`, err: '' });
});
