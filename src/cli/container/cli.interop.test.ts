// The container verbs end to end: bin/berth processes against a private engine root (real crun/runc).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { exec, type ExecResult } from '../../core/index.js';
import { testing } from '../../engine/index.js';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

async function setup(t: TestContext) {
  if (!testing.needRoot(t) || !(await testing.needTools(t, 'crun', 'runc', 'ip', 'script'))) return undefined;
  const te = await testing.testEngine(t);
  const env = { ...process.env, BERTH_ROOT: te.root, BERTH_RUNROOT: te.engine.runRoot, BERTH_BRIDGE: te.bridge, BERTH_SUBNET: te.subnet };
  const berth = (args: string[], input?: string): Promise<ExecResult> => exec([process.execPath, BIN, ...args], { env, check: false, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  return { te, env, berth };
}

const text = (r: ExecResult) => r.stdout.toString('utf8');

test('berth run: foreground output and exit code, -i stdin, --rm, -e and --env-file', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const envFile = `${s.te.root}/../env`;
  await writeFile(envFile, '# comment\nFROM_FILE=yes\n');
  const r = await s.berth(['run', '--rm', '-e', 'A=1', '--env-file', envFile, testing.TEST_IMAGE, 'sh', '-c', 'echo $A $FROM_FILE; echo to-err >&2; exit 5']);
  assert.equal(r.exitCode, 5, r.stderr.toString());
  assert.equal(text(r), '1 yes\n');
  assert.equal(r.stderr.toString(), 'to-err\n');
  const i = await s.berth(['run', '--rm', '-i', testing.TEST_IMAGE, 'cat'], 'piped-stdin\n');
  assert.equal(text(i), 'piped-stdin\n');
  assert.equal(text(await s.berth(['ps', '-aq'])), '', '--rm removed both containers');
  const runc = await s.berth(['run', '--rm', '--runtime', 'runc', testing.TEST_IMAGE, 'echo', 'via runc']);
  assert.equal(text(runc), 'via runc\n');
});

test('berth run -d, ps columns and --format, port, logs, exec, inspect -f, stop, rm', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const d = await s.berth(['run', '-d', '--name', 'web', '-p', '127.0.0.1::80', '-l', 'tier=front', testing.TEST_IMAGE, 'sh', '-c', 'echo started; exec httpd -f -p 80 -h /var/www']);
  assert.equal(d.exitCode, 0, d.stderr.toString());
  const id = text(d).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = text(await s.berth(['ps']));
  const [header, row] = ps.split('\n');
  assert.match(header!, /^CONTAINER ID   IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  assert.match(row!, new RegExp(`^${id.slice(0, 12)}   localhost/busybox-tiny:latest\\s+"sh -c 'echo started…"\\s+.* ago\\s+Up .*127\\.0\\.0\\.1:\\d+->80/tcp\\s+web$`));
  assert.equal(text(await s.berth(['ps', '--filter', 'label=tier=front', '--format', '{{.Names}} {{.State}}'])), 'web running\n');
  const port = text(await s.berth(['port', 'web', '80'])).trim();
  assert.match(port, /^127\.0\.0\.1:\d+$/);
  const body = await new Promise<string>((resolve, reject) => {
    const c = net.connect(Number(port.split(':')[1]), '127.0.0.1');
    let data = '';
    c.on('connect', () => c.write('GET / HTTP/1.0\r\n\r\n'));
    c.on('data', (b) => (data += b.toString()));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
  assert.match(body, /hello/);
  assert.equal(text(await s.berth(['logs', 'web'])), 'started\n');
  assert.match(text(await s.berth(['logs', '-t', 'web'])), /^\d{4}-\d\d-\d\dT[\d:.]+Z started\n$/);
  const ex = await s.berth(['exec', '-e', 'X=2', 'web', 'sh', '-c', 'echo $X; cat /var/www/index.html; exit 3']);
  assert.deepEqual([ex.exitCode, text(ex)], [3, '2\nhello\n']);
  assert.equal(text(await s.berth(['inspect', '-f', '{{.State.Status}} {{.Name}} {{.HostConfig.NetworkMode}}', 'web'])), 'running /web bridge\n');
  const doc = JSON.parse(text(await s.berth(['inspect', 'web']))) as Array<{ Id: string; Config: { Labels: Record<string, string> } }>;
  assert.equal(doc[0]!.Id, id);
  assert.equal(doc[0]!.Config.Labels.tier, 'front');
  assert.match(text(await s.berth(['top', 'web'])), /httpd -f -p 80/);
  assert.match(text(await s.berth(['stats', '--no-stream', 'web'])), /^CONTAINER ID\s+NAME\s+CPU %/);
  const rmRunning = await s.berth(['rm', 'web']);
  assert.notEqual(rmRunning.exitCode, 0);
  assert.equal(text(await s.berth(['stop', '-t', '1', 'web'])), 'web\n');
  assert.match(text(await s.berth(['ps', '-a', '--format', '{{.Status}}'])), /^Exited \(\d+\) /);
  assert.match(text(await s.berth(['wait', 'web'])), /^(137|143)\n$/); // httpd as PID 1 may ignore SIGTERM
  assert.equal(text(await s.berth(['rm', 'web'])), 'web\n');
  const missing = await s.berth(['inspect', 'web']);
  assert.equal(missing.exitCode, 1);
});

test('berth generate systemd writes units that systemd-analyze verify accepts', async (t) => {
  const s = await setup(t);
  if (!s || !(await testing.needTools(t, 'systemd-analyze'))) return;
  await s.berth(['create', '--name', 'svc', testing.TEST_IMAGE, 'sleep', '1000']);
  const dir = `${s.te.root}/..`;
  const gen = await exec([process.execPath, BIN, 'generate', 'systemd', '--files', 'svc'], { env: s.env, cwd: dir, check: false });
  assert.equal(gen.exitCode, 0, gen.stderr.toString());
  const unitPath = text(gen).trim();
  assert.match(unitPath, /container-svc\.service$/);
  const genNew = await exec([process.execPath, BIN, 'generate', 'systemd', '--new', '--name', 'fresh', '-p', '127.0.0.1::80', testing.TEST_IMAGE, 'httpd', '-f'], { env: s.env, check: false });
  const newPath = `${dir}/container-fresh.service`;
  await writeFile(newPath, genNew.stdout);
  for (const p of [unitPath, newPath]) {
    const v = await exec(['systemd-analyze', 'verify', '--man=no', p], { check: false });
    const complaints = v.stderr.toString().split('\n').filter((l) => l.includes(p.split('/').pop()!));
    assert.deepEqual(complaints, [], `systemd-analyze verify ${p}:\n${v.stderr.toString()}\n${await readFile(p, 'utf8')}`);
  }
  assert.match(await readFile(newPath, 'utf8'), /^ExecStart=.* run --rm --name fresh/m, await readFile(newPath, 'utf8'));
  assert.match(await readFile(newPath, 'utf8'), /^ExecStart=.* run --rm --name fresh -p 127\.0\.0\.1::80 localhost\/busybox-tiny:latest httpd -f$/m);
});

test('runlabel/install/uninstall run the image labels through berth; --spc shares the host namespaces', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const shown = await s.berth(['container', 'runlabel', '--display', 'RUN', testing.TEST_IMAGE]);
  assert.equal(text(shown), `docker run -d --name busybox-tiny -p 8080:80 ${testing.TEST_IMAGE} httpd -f -p 80 -h /var/www\n`);
  const inst = await s.berth(['install', testing.TEST_IMAGE]);
  assert.equal(inst.exitCode, 0, inst.stderr.toString());
  assert.equal(text(inst), `docker run --rm --privileged -v /:/host -e HOST=/host -e IMAGE=${testing.TEST_IMAGE} -e NAME=busybox-tiny ${testing.TEST_IMAGE} echo install\ninstall\n`);
  const un = await s.berth(['uninstall', testing.TEST_IMAGE]);
  assert.match(text(un), /\nuninstall\n$/);
  const spc = await s.berth(['run', '--rm', '--spc', testing.TEST_IMAGE, 'sh', '-c', 'readlink /proc/self/ns/pid; test -e /host/etc/os-release && echo host-visible; echo $HOST $NAME; grep CapEff /proc/self/status']);
  assert.equal(spc.exitCode, 0, spc.stderr.toString());
  const [pidns, visible, envLine, caps] = text(spc).trim().split('\n');
  assert.equal(pidns, await (await import('node:fs/promises')).readlink('/proc/self/ns/pid'));
  assert.equal(visible, 'host-visible');
  assert.equal(envLine, '/host busybox-tiny');
  assert.match(caps!, /CapEff:\s+000001f/);
});

test('berth run uses images from src/image\'s store (OCI layout built offline and imported)', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { buildBusyboxImage, ImageStore } = await import('../../image/index.js');
  const built = await buildBusyboxImage({ dir: `${s.te.root}/../img`, tag: 'localhost/store-busybox:1' });
  const store = await ImageStore.open({ root: s.te.root });
  await store.importOciLayout(built.ociDir, { names: ['localhost/store-busybox:1'] });
  const r = await s.berth(['run', '--rm', 'localhost/store-busybox:1', 'sh', '-c', 'echo from-store; cat /var/www/index.html']);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  assert.equal(text(r), 'from-store\nhello\n');
  assert.equal(text(await s.berth(['ps', '-aq'])), '');
});

test('berth inspect falls back to images when no container has the name (docker inspect)', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { buildBusyboxImage, ImageStore } = await import('../../image/index.js');
  const built = await buildBusyboxImage({ dir: `${s.te.root}/../img-inspect`, tag: 'localhost/inspect-me:1' });
  const store = await ImageStore.open({ root: s.te.root });
  const img = await store.importOciLayout(built.ociDir, { names: ['localhost/inspect-me:1'] });
  const r = await s.berth(['inspect', '-f', '{{.Id}}', 'localhost/inspect-me:1']);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  assert.equal(text(r), `${img.id}\n`);
  const none = await s.berth(['inspect', 'localhost/absent:1']);
  assert.equal(none.exitCode, 1);
  assert.equal(none.stderr.toString(), 'Error: No such object: localhost/absent:1\n');
  assert.equal((await s.berth(['inspect', '--type', 'container', 'localhost/inspect-me:1'])).exitCode, 1);
});

test('berth run pulls a missing image from a registry on 127.0.0.1 (docker\'s pull policy "missing")', async (t) => {
  const s = await setup(t);
  if (!s || !(await testing.needTools(t, 'docker-registry'))) return;
  const { buildBusyboxImage, ImageStore, startTestRegistry, pushImage } = await import('../../image/index.js');
  const built = await buildBusyboxImage({ dir: `${s.te.root}/../img2`, tag: 'localhost/pull-me:1' });
  const registry = await startTestRegistry(`${s.te.root}/../registry`);
  t.after(() => registry.stop());
  // Push from a scratch store, then run from the engine's (empty) store.
  const scratch = await ImageStore.open({ root: `${s.te.root}/../scratch` });
  await scratch.importOciLayout(built.ociDir, { names: ['localhost/pull-me:1'] });
  const ref = `${registry.host}/tiny/pull-me:1`;
  await pushImage(scratch, 'localhost/pull-me:1', { target: ref });
  const r = await s.berth(['run', '--rm', ref, 'echo', 'pulled']);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  assert.equal(text(r), 'pulled\n');
  assert.match(r.stderr.toString(), /Unable to find image '.*' locally[\s\S]*Digest: sha256:[0-9a-f]{64}/);
  const never = await s.berth(['run', '--rm', '--pull', 'never', `${registry.host}/tiny/absent:1`, 'true']);
  assert.equal(never.exitCode, 4);
});
