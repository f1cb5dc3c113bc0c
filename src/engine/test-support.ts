// Test-only helpers for engine tests, on top of the shared toolkit in core/test-support.ts.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { exec } from '../core/index.js';
import { Engine } from './engine.js';
import { LocalImages } from './images.js';
import type { EngineOptions } from './types.js';

export { needRoot, needTools, tempDir } from '../core/test-support.js';

export const BUSYBOX_APPLETS = [
  'sh', 'echo', 'sleep', 'httpd', 'true', 'false', 'cat', 'ls', 'ps', 'id', 'env', 'hostname', 'wget', 'nc', 'printf',
  'mkdir', 'rm', 'touch', 'test', 'kill', 'head', 'tail', 'grep', 'sed', 'uname', 'whoami', 'mount', 'ip', 'ping', 'pwd',
  'stat', 'readlink', 'chmod', 'ln', 'cp', 'mv', 'seq', 'wc', 'tee', 'ifconfig', 'find', 'awk', 'cut', 'tr', 'trap', 'stty',
];

/** A busybox rootfs from Debian's busybox-static (/bin/busybox), like the image builder's base layer. */
export async function makeBusyboxRootfs(dir: string): Promise<string> {
  const r = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'var/www', 'root', 'usr/bin', 'sbin']) await mkdir(join(r, d), { recursive: true });
  await copyFile('/bin/busybox', join(r, 'bin/busybox'));
  await chmod(join(r, 'bin/busybox'), 0o755);
  for (const a of BUSYBOX_APPLETS) await symlink('busybox', join(r, 'bin', a)).catch(() => undefined);
  await writeFile(join(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(r, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
  await writeFile(join(r, 'var/www/index.html'), 'hello\n');
  await chmod(join(r, 'tmp'), 0o1777);
  return r;
}

export const TEST_IMAGE = 'localhost/busybox-tiny:latest';

export const TEST_IMAGE_CONFIG = {
  created: '1970-01-01T00:00:00Z', architecture: 'amd64', os: 'linux',
  config: {
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/',
    ExposedPorts: { '80/tcp': {} },
    Labels: {
      'org.opencontainers.image.title': 'busybox-tiny',
      RUN: 'docker run -d --name ${NAME} -p 8080:80 ${IMAGE} httpd -f -p 80 -h /var/www',
      INSTALL: 'docker run --rm --privileged -v /:/host -e HOST=/host -e IMAGE=${IMAGE} -e NAME=${NAME} ${IMAGE} echo install',
      UNINSTALL: 'docker run --rm --privileged -v /:/host -e HOST=/host -e IMAGE=${IMAGE} -e NAME=${NAME} ${IMAGE} echo uninstall',
    },
  },
  rootfs: { type: 'layers', diff_ids: [] },
};

export interface TestEngine {
  readonly engine: Engine;
  readonly images: LocalImages;
  readonly root: string;
  readonly bridge: string;
  readonly subnet: string;
}

/**
 * An engine on a private root, bridge and subnet (random suffixes), with the busybox image loaded.
 * t.after removes every container (by force), the bridge and the root.
 */
export async function testEngine(t: TestContext, options: EngineOptions = {}): Promise<TestEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-engine-'));
  const suffix = randomBytes(3).toString('hex');
  const bridge = `bt${suffix}`;
  const subnet = `10.${100 + (Number.parseInt(suffix.slice(0, 2), 16) % 100)}.${Number.parseInt(suffix.slice(2, 4), 16)}.0/24`;
  const root = join(dir, 'root');
  const images = new LocalImages(root);
  const engine = new Engine(images, { root, runRoot: join(dir, 'run'), bridge, subnet, ...options });
  const rootfs = await makeBusyboxRootfs(dir);
  await images.add(TEST_IMAGE, rootfs, TEST_IMAGE_CONFIG);
  t.after(async () => {
    for (const c of await engine.list({ all: true }).catch(() => [])) await engine.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
    // Safety net: namespaces and veths of containers whose removal failed half-way.
    const created = (await readFile(join(root, 'events.jsonl'), 'utf8').catch(() => '')).split('\n')
      .map((l) => /"action":"create","id":"([0-9a-f]{64})"/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
    const ids = new Set([...created, ...(await readdir(join(root, 'containers')).catch(() => [] as string[]))]);
    for (const id of ids) {
      await exec(['ip', '-force', '-batch', '-'], { input: `link del dev vb${id.slice(0, 11)}\nnetns del berth-${id.slice(0, 16)}\n`, check: false });
    }
    await exec(['ip', 'link', 'del', 'dev', bridge], { check: false });
    await exec(['sh', '-c', `grep -F '${dir}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`], { check: false });
    await rm(dir, { recursive: true, force: true });
  });
  return { engine, images, root, bridge, subnet };
}

export async function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (stream === null) return '';
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
