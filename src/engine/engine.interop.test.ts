// Real containers through crun and runc (root, iproute2, busybox-static). Each test makes its own engine on a
// random root, bridge and subnet (test-support.ts) and removes everything in t.after.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readlink, writeFile, mkdir, stat } from 'node:fs/promises';
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exec } from '../core/index.js';
import { tempDir } from '../core/test-support.js';
import { resolveRuntime, runtimeArgv, runtimeDelete, runtimeStart, runtimeState } from '../runtime/index.js';
import { Engine } from './engine.js';
import { LocalImages } from './images.js';
import { collect, makeBusyboxRootfs, needRoot, needTools, testEngine, TEST_IMAGE, type TestEngine } from './test-support.js';
import type { ContainerCreateOptions } from './types.js';

async function gate(t: TestContext): Promise<boolean> {
  return needRoot(t) && (await needTools(t, 'crun', 'runc', 'ip', 'unshare', 'script', 'conmon', 'perl'));
}

/** The monitor this file runs under: conmon (installed, the default) unless BERTH_MONITOR=node. */
const MONITOR = process.env.BERTH_MONITOR === 'node' ? 'node' : 'conmon';

async function runIt(engine: Engine, options: Omit<ContainerCreateOptions, 'image'> & { image?: string }): Promise<{ id: string; code: number; out: string; err: string }> {
  const { id } = await engine.create({ image: TEST_IMAGE, ...options });
  const a = await engine.attach(id, { stdout: true, stderr: true });
  await engine.start(id);
  const w = await engine.wait(id, 'not-running', AbortSignal.timeout(30_000));
  await Promise.race([a.done, sleep(3000)]);
  const [out, err] = await Promise.all([collect(a.stdout), collect(a.stderr)]);
  return { id, code: w.statusCode, out, err };
}

async function waitFor(pred: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await pred()) return;
    await sleep(50);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

for (const runtime of ['crun', 'runc'] as const) {
  test(`${runtime}: exit code, separate stdout/stderr, json-file or k8s-file log, inspect`, async (t) => {
    if (!(await gate(t))) return;
    const { engine }: TestEngine = await testEngine(t, { defaultRuntime: runtime });
    const r = await runIt(engine, { cmd: ['sh', '-c', 'echo out; echo err >&2; printf partial; exit 7'] });
    assert.equal(r.code, 7);
    assert.equal(r.out, 'out\npartial');
    assert.equal(r.err, 'err\n');
    const info = await engine.inspect(r.id);
    assert.equal(info.state.status, 'exited');
    assert.equal(info.state.exitCode, 7);
    assert.equal(info.runtime, runtime);
    const text = (await readFile(info.logPath, 'utf8')).trim().split('\n');
    assert.equal(info.logDriver, MONITOR === 'conmon' ? 'k8s-file' : 'json-file');
    if (info.logDriver === 'k8s-file') {
      // conmon's format: TIME STREAM F|P TEXT (F: a whole line, its newline implied; P: a fragment).
      assert.match(info.logPath, /-k8s\.log$/);
      const lines = text.map((l) => /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(l)!);
      assert.deepEqual(lines.map((m) => [m[2], m[3], m[4]]).sort(), [['stderr', 'F', 'err'], ['stdout', 'F', 'out'], ['stdout', 'P', 'partial']]);
      assert.match(lines[0]![1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/);
    } else {
      assert.equal(info.logDriver, 'json-file');
      const lines = text.map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
      assert.deepEqual(lines.map((l) => [l.stream, l.log]).sort(), [['stderr', 'err\n'], ['stdout', 'out\n'], ['stdout', 'partial']]);
      assert.match(lines[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    }
    const tail = [];
    for await (const e of engine.logs(r.id, { tail: 1, stderr: false })) tail.push(e.line.toString());
    assert.deepEqual(tail, ['partial']);
  });
}

test('isolation: Docker default caps, seccomp filter, masked and read-only /proc paths, private namespaces', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const script = [
    'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status',
    'echo timer_list=$(wc -c < /proc/timer_list)',
    'echo procsys=$(awk \'$5=="/proc/sys"{print substr($6,1,2)}\' /proc/self/mountinfo | head -n 1)',
    'mount -t tmpfs none /tmp 2>/dev/null && echo mount=ok || echo mount=denied',
    'echo pid1=$(cat /proc/1/cmdline | tr "\\0" " ")',
    'hostname',
  ].join('; ');
  const r = await runIt(engine, { cmd: ['sh', '-c', script], hostname: 'isolated' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^CapEff:\s+00000000a80425fb$/m);
  assert.match(r.out, /^CapBnd:\s+00000000a80425fb$/m);
  assert.match(r.out, /^Seccomp:\s+2$/m);
  assert.match(r.out, /^NoNewPrivs:\s+0$/m);
  assert.match(r.out, /^timer_list=0$/m);
  assert.match(r.out, /^procsys=ro$/m);
  assert.match(r.out, /^mount=denied$/m);
  assert.match(r.out, /^pid1=sh -c /m);
  assert.match(r.out, /^isolated$/m);

  const nnp = await runIt(engine, { cmd: ['grep', 'NoNewPrivs', '/proc/self/status'], host: { securityOpt: ['no-new-privileges'], capDrop: ['ALL'], capAdd: ['CHOWN'] } });
  assert.match(nnp.out, /NoNewPrivs:\s+1/);
  const caps = await runIt(engine, { cmd: ['grep', 'CapEff', '/proc/self/status'], host: { capDrop: ['ALL'], capAdd: ['CHOWN'] } });
  assert.match(caps.out, /CapEff:\s+0000000000000001/);
  const unconfined = await runIt(engine, { cmd: ['grep', 'Seccomp:', '/proc/self/status'], host: { securityOpt: ['seccomp=unconfined'] } });
  assert.match(unconfined.out, /Seccomp:\s+0/);
  const priv = await runIt(engine, { cmd: ['sh', '-c', 'grep CapEff /proc/self/status; mount -t tmpfs none /tmp && echo mount=ok; ls /dev | wc -l'], host: { privileged: true } });
  assert.match(priv.out, /CapEff:\s+000001fffeffffff|CapEff:\s+000001ffffffffff/);
  assert.match(priv.out, /mount=ok/);
});

test('limits: -m, --cpus and --pids-limit land in the container cgroup; ulimits are clamped', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t);
  const { engine } = te;
  const { id } = await engine.create({
    image: TEST_IMAGE, cmd: ['sleep', '30'],
    host: { memory: 64 * 1024 * 1024, nanoCpus: 0.5e9, pidsLimit: 20, ulimits: [{ name: 'nofile', soft: 1048576, hard: 1048576 }] },
  });
  await engine.start(id);
  const v2 = await stat('/sys/fs/cgroup/cgroup.controllers').then(() => true, () => false);
  if (v2) {
    assert.equal((await readFile(`/sys/fs/cgroup/berth/${id}/memory.max`, 'utf8')).trim(), String(64 * 1024 * 1024));
    assert.equal((await readFile(`/sys/fs/cgroup/berth/${id}/pids.max`, 'utf8')).trim(), '20');
  } else {
    assert.equal((await readFile(`/sys/fs/cgroup/memory/berth/${id}/memory.limit_in_bytes`, 'utf8')).trim(), String(64 * 1024 * 1024));
    assert.equal((await readFile(`/sys/fs/cgroup/pids/berth/${id}/pids.max`, 'utf8')).trim(), '20');
    assert.equal((await readFile(`/sys/fs/cgroup/cpu/berth/${id}/cpu.cfs_quota_us`, 'utf8')).trim(), '50000');
  }
  const pid = (await engine.inspect(id)).state.pid;
  const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
  const hostHard = /Max open files\s+\d+\s+(\d+)/.exec(await readFile('/proc/self/limits', 'utf8'))![1];
  assert.match(limits, new RegExp(`Max open files\\s+${hostHard}\\s+${hostHard}`));
  // Block I/O: 1 MiB written with O_DIRECT reaches the block layer in the container's cgroup. cgroup v1 on
  // recent kernels accounts only groups with a throttle rule, so the test sets a never-reached one there.
  if (!v2) {
    const source = (await exec(['findmnt', '-no', 'SOURCE', '-T', te.root])).stdout.toString().trim();
    const dev = (await stat(source)).rdev;
    await writeFile(`/sys/fs/cgroup/blkio/berth/${id}/blkio.throttle.write_bps_device`, `${Math.floor(dev / 256)}:${dev % 256} 1099511627776\n`);
  }
  const ddExec = await engine.execCreate(id, { cmd: ['sh', '-c', 'dd if=/dev/zero of=/blk bs=64k count=16 oflag=direct'] });
  await (await engine.execStart(ddExec)).exit;
  assert.equal((await engine.execInspect(ddExec)).exitCode, 0);
  const s = await engine.stats(id);
  assert.ok(s.blockWrite >= 1024 * 1024, `block writes counted: ${s.blockWrite}`);
  assert.ok(s.memoryUsage > 0);
  assert.equal(s.memoryLimit, 64 * 1024 * 1024);
  assert.ok(s.pids >= 1);
  const top = await engine.top(id);
  assert.ok(top.processes.some((p) => p.at(-1) === 'sleep 30'), JSON.stringify(top.processes));
  assert.equal(await engine.stop(id, { timeout: 0 }), true);
});

test('a detached container outlives its engine: logs -f, wait and stop from a fresh engine; restart policy; restore', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t);
  const { engine } = te;
  const { id } = await engine.create({ image: TEST_IMAGE, name: 'ticker', cmd: ['sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done; exit 3'] });
  await engine.start(id);
  // A second engine on the same root, as a new CLI process would make.
  const other = new Engine(new LocalImages(te.root), { root: te.root, runRoot: engine.runRoot, bridge: te.bridge, subnet: te.subnet });
  const seen: string[] = [];
  for await (const e of other.logs('ticker', { follow: true })) seen.push(e.line.toString());
  assert.deepEqual(seen, ['tick 1\n', 'tick 2\n', 'tick 3\n']);
  assert.deepEqual(await other.wait('ticker'), { statusCode: 3 });
  const summary = (await other.list({ all: true })).find((c) => c.id === id)!;
  assert.match(summary.status, /^Exited \(3\) /);

  // on-failure:2 → two restarts, then exited.
  const { id: flaky } = await engine.create({ image: TEST_IMAGE, cmd: ['sh', '-c', 'echo run; exit 1'], host: { restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } } });
  await engine.start(flaky);
  await waitFor(async () => {
    const i = await other.inspect(flaky);
    return i.state.status === 'exited' && i.restartCount === 2;
  }, 'on-failure restarts');
  let runs = 0;
  for await (const e of other.logs(flaky)) if (e.line.toString() === 'run\n') runs++;
  assert.equal(runs, 3);

  // always: survives the loss of its monitor (as after a reboot) through restore().
  const { id: svc } = await engine.create({ image: TEST_IMAGE, cmd: ['sleep', '300'], host: { restartPolicy: { name: 'always', maximumRetryCount: 0 } } });
  const { id: stopped } = await engine.create({ image: TEST_IMAGE, cmd: ['sleep', '300'], host: { restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } } });
  await engine.start(svc);
  await engine.start(stopped);
  await engine.stop(stopped, { timeout: 0 });
  const before = await engine.inspect(svc);
  const state = JSON.parse(await readFile(`${engine.containerDir(svc)}/state.json`, 'utf8')) as { monitorPid: number };
  // The container's monitor is the one chosen: conmon itself, or a Node process.
  assert.equal((await readFile(`/proc/${state.monitorPid}/comm`, 'utf8')).trim(), MONITOR === 'conmon' ? 'conmon' : 'node');
  process.kill(state.monitorPid, 'SIGKILL');
  process.kill(before.state.pid, 'SIGKILL');
  await waitFor(async () => (await other.inspect(svc)).state.status === 'exited', 'monitor loss noticed');
  const restored = await other.restore();
  assert.deepEqual(restored, [svc]);
  const after = await other.inspect(svc);
  assert.equal(after.state.status, 'running');
  assert.notEqual(after.state.pid, before.state.pid);
  assert.equal((await other.inspect(stopped)).state.status, 'exited');
  await other.remove(svc, { force: true });
});

test('networking: -p on 127.0.0.1, container-to-container on the bridge, --network none and host', async (t) => {
  if (!(await gate(t))) return;
  const { engine, bridge } = await testEngine(t);
  const { id: web } = await engine.create({
    image: TEST_IMAGE, name: 'web', cmd: ['httpd', '-f', '-p', '80', '-h', '/var/www'],
    host: { portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 }] },
  });
  await engine.start(web);
  const info = await engine.inspect(web);
  const published = info.network.ports[0]!;
  assert.equal(published.hostIp, '127.0.0.1');
  assert.ok(published.hostPort > 0);
  const get = () => new Promise<string>((resolve, reject) => {
    const s = net.connect(published.hostPort, '127.0.0.1');
    let data = '';
    s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
    s.setTimeout(5000, () => reject(new Error('proxy timeout')));
  });
  // start() returns once the process exists; on a busy host httpd may not listen yet (the proxy then closes).
  let body = '';
  await waitFor(async () => (body = await get()) !== '', 'httpd behind the proxy');
  assert.match(body, /^HTTP\/1\.[01] 200/);
  assert.match(body, /hello/);
  const peer = await runIt(engine, { cmd: ['wget', '-q', '-O', '-', `http://${info.network.ipAddress}/index.html`] });
  assert.equal(peer.out, 'hello\n', peer.err);
  // --network none: the runtime's own namespace (no named one under /run/netns), loopback up (flags 0x9 =
  // IFF_UP | IFF_LOOPBACK), with crun and with runc.
  for (const runtime of ['crun', 'runc'] as const) {
    const none = await runIt(engine, { cmd: ['sh', '-c', 'ls /sys/class/net | tr "\\n" " "; cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pong'], host: { networkMode: 'none', runtime } });
    assert.equal(none.out, 'lo 0x9\npong\n', `${runtime}: ${none.err}`);
    assert.equal((await engine.inspect(none.id)).network.mode, 'none');
    assert.equal(await stat(`/run/netns/berth-${none.id.slice(0, 16)}`).then(() => true, () => false), false);
    await engine.remove(none.id);
  }
  const host = await runIt(engine, { cmd: ['cat', '/proc/net/dev'], host: { networkMode: 'host' } });
  // The host's interfaces, this test's bridge among them (comparing line counts raced other tests' veths).
  assert.match(host.out, new RegExp(`^\\s*${bridge}:`, 'm'));
  // No default route: nothing leaves the machine through the bridge.
  const routes = await runIt(engine, { cmd: ['ip', 'route'] });
  assert.doesNotMatch(routes.out, /default/);
  await engine.remove(web, { force: true });
});

test('mounts and process options: -v bind, named volume, --tmpfs, --read-only, -u, -w, -e, --entrypoint, --init', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t);
  const { engine } = te;
  const hostDir = `${te.root}/../bind`;
  await mkdir(hostDir, { recursive: true });
  await writeFile(`${hostDir}/in.txt`, 'from host\n');
  const r = await runIt(engine, {
    cmd: ['-c', 'cat /data/in.txt; echo made > /vol/f; touch /tmp/ok && echo tmp=ok; touch /etc/x 2>/dev/null || echo rootfs=ro; id -u; pwd; echo $GREETING; cat /proc/1/cmdline | tr "\\0" " "'],
    entrypoint: ['/bin/sh'],
    env: ['GREETING=hi'],
    user: 'nobody',
    workingDir: '/tmp',
    host: { binds: [`${hostDir}:/data:ro`, 'cache:/vol'], tmpfs: { '/tmp': 'mode=1777' }, readOnlyRootfs: true, init: true },
  });
  assert.match(r.out, /^from host$/m);
  assert.match(r.out, /^tmp=ok$/m);
  assert.match(r.out, /^rootfs=ro$/m);
  assert.match(r.out, /^65534$/m);
  assert.match(r.out, /^\/tmp$/m);
  assert.match(r.out, /^hi$/m);
  assert.match(r.out, /^\/sbin\/docker-init -- \/bin\/sh -c /m);
  const w = await runIt(engine, { cmd: ['sh', '-c', 'echo made > /vol/f && cat /vol/f'], host: { binds: ['cache:/vol'] } });
  assert.equal(w.out, 'made\n');
  assert.equal(await readFile(`${te.root}/volumes/cache/_data/f`, 'utf8'), 'made\n');
});

test('exec, cp in and out, rename, kill, rm -f, prune, --rm and events', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const ac = new AbortController();
  const events: string[] = [];
  const collector = (async () => {
    for await (const e of engine.events({ signal: ac.signal })) events.push(`${e.action.split(':')[0]} ${e.id.slice(0, 12)}`);
  })();
  const { id } = await engine.create({ image: TEST_IMAGE, name: 'box', cmd: ['sleep', '300'], labels: { role: 'test' } });
  await assert.rejects(engine.create({ image: TEST_IMAGE, name: 'box', cmd: ['true'] }), (e: Error & { code?: string }) => e.code === 'ENGINE_NAME_IN_USE');
  await engine.start(id);
  const execId = await engine.execCreate('box', { cmd: ['sh', '-c', 'echo $FOO; id -u; echo oops >&2; exit 4'], env: ['FOO=bar'], user: 'nobody' });
  const session = await engine.execStart(execId);
  const [out, err, code] = await Promise.all([collect(session.streams.stdout), collect(session.streams.stderr), session.exit]);
  assert.deepEqual([out, err, code], ['bar\n65534\n', 'oops\n', 4]);
  assert.equal((await engine.execInspect(execId)).exitCode, 4);

  const pack = tarStream.pack();
  pack.entry({ name: 'hello.txt', mode: 0o644 }, 'copied in\n');
  pack.finalize();
  await engine.copyTo('box', '/tmp', pack as unknown as Readable);
  const cat = await engine.execStart(await engine.execCreate('box', { cmd: ['cat', '/tmp/hello.txt'] }));
  assert.equal(await collect(cat.streams.stdout), 'copied in\n');
  const names: string[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (h, s, next) => {
    names.push(h.name);
    s.resume();
    s.on('end', next);
  });
  (await engine.copyFrom('box', '/etc')).pipe(extract as unknown as NodeJS.WritableStream);
  await new Promise<void>((r) => extract.on('finish', () => r()));
  assert.ok(names.includes('etc/passwd'));

  await engine.rename('box', 'box2');
  assert.equal((await engine.inspect('box2')).id, id);
  await assert.rejects(engine.inspect('box'), (e: Error & { code?: string }) => e.code === 'ENGINE_NO_SUCH_CONTAINER');
  assert.deepEqual((await engine.list({ filters: { label: ['role=test'] } })).map((c) => c.id), [id]);
  await assert.rejects(engine.remove('box2'), (e: Error & { code?: string }) => e.code === 'ENGINE_CONTAINER_RUNNING');
  await engine.kill('box2', 'SIGTERM'); // sleep as PID 1 ignores SIGTERM
  await sleep(200);
  assert.equal((await engine.inspect(id)).state.status, 'running');
  await engine.kill('box2', 'KILL');
  assert.equal((await engine.wait(id)).statusCode, 137);
  const { id: gone } = await engine.create({ image: TEST_IMAGE, cmd: ['true'], host: { autoRemove: true } });
  await engine.start(gone);
  await engine.wait(gone, 'removed', AbortSignal.timeout(20_000));
  await assert.rejects(engine.inspect(gone));
  const pruned = await engine.prune();
  assert.deepEqual(pruned.deleted, [id]);
  assert.deepEqual(await engine.list({ all: true }), []);
  await sleep(100);
  ac.abort();
  await collector;
  const mine = events.filter((e) => e.endsWith(id.slice(0, 12))).map((e) => e.split(' ')[0]);
  for (const a of ['create', 'start', 'exec_create', 'exec_start', 'exec_die', 'rename', 'kill', 'die', 'destroy']) assert.ok(mine.includes(a), `event ${a} in ${mine.join(',')}`);
  void readlink;
});

test('cp follows the container\'s own symlinks inside it (never onto the host) and sees its tmpfs mounts', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const { id } = await engine.create({ image: TEST_IMAGE, cmd: ['sleep', '300'], host: { tmpfs: { '/scratch': 'mode=1777' } } });
  await engine.start(id);
  const sh = async (script: string) => {
    const x = await engine.execStart(await engine.execCreate(id, { cmd: ['sh', '-c', script] }));
    const [out] = await Promise.all([collect(x.streams.stdout), x.exit]);
    return out;
  };
  await sh('ln -s / /escape && echo in-tmpfs > /scratch/note');
  const marker = `berth-cp-escape-${process.pid}-${Date.now()}`;
  const pack = tarStream.pack();
  pack.entry({ name: marker, mode: 0o644 }, 'inside\n');
  pack.finalize();
  // /escape -> / is the container's root: the file lands in the container's /tmp, the host's /tmp is untouched.
  await engine.copyTo(id, '/escape/tmp', pack as unknown as Readable);
  assert.equal(await sh(`cat /tmp/${marker}`), 'inside\n');
  await assert.rejects(stat(`/tmp/${marker}`));
  const read = async (path: string): Promise<Record<string, string>> => {
    const files: Record<string, string> = {};
    const extract = tarStream.extract();
    extract.on('entry', (h, stream, next) => {
      let body = '';
      stream.on('data', (d: unknown) => (body += String(d)));
      stream.on('end', () => {
        files[h.name] = h.type === 'symlink' ? `-> ${h.linkname}` : body;
        next();
      });
    });
    (await engine.copyFrom(id, path)).pipe(extract as unknown as NodeJS.WritableStream);
    await new Promise<void>((r) => extract.on('finish', () => r()));
    return files;
  };
  assert.deepEqual(await read(`/escape/tmp/${marker}`), { [marker]: 'inside\n' });
  assert.deepEqual(await read('/escape'), { escape: '-> /' }, 'a final symlink is copied as the link');
  assert.deepEqual(await read('/scratch/note'), { note: 'in-tmpfs\n' });
  await engine.remove(id, { force: true });
});

test('-t: a TTY container and a TTY exec get a pty (one output stream, CRLF), stdin reaches them', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const r = await runIt(engine, { cmd: ['sh', '-c', 'tty; echo $TERM; echo to-err >&2'], tty: true });
  assert.equal(r.code, 0);
  assert.equal(r.err, '', 'a TTY has no separate stderr');
  assert.match(r.out, /^\/dev\/pts\/\d+\r\nxterm\r\nto-err\r\n$/);
  const { id } = await engine.create({ image: TEST_IMAGE, cmd: ['sh', '-c', 'read line; echo got:$line'], openStdin: true, stdinOnce: true });
  const a = await engine.attach(id, { stdin: true, stdout: true, stderr: true });
  await engine.start(id);
  a.stdin!.end('hello\n');
  await engine.wait(id, 'not-running', AbortSignal.timeout(20_000));
  await Promise.race([a.done, sleep(3000)]);
  assert.equal(await collect(a.stdout), 'got:hello\n');
  const { id: box } = await engine.create({ image: TEST_IMAGE, cmd: ['sleep', '60'] });
  await engine.start(box);
  const session = await engine.execStart(await engine.execCreate(box, { cmd: ['sh', '-c', 'tty'], tty: true }));
  const [out, code] = await Promise.all([collect(session.streams.stdout), session.exit]);
  assert.equal(code, 0);
  assert.match(out, /^\/dev\/pts\/\d+\r\n$/);
  // A process that exits right after writing loses nothing (the runtime does not copy the terminal itself).
  for (let i = 0; i < 5; i++) {
    const quick = await engine.execStart(await engine.execCreate(box, { cmd: ['seq', '1', '3000'], tty: true }));
    const [text, c] = await Promise.all([collect(quick.streams.stdout), quick.exit]);
    assert.equal(c, 0);
    assert.equal(text, `${Array.from({ length: 3000 }, (_, k) => k + 1).join('\r\n')}\r\n`);
  }
  // Resize reaches the exec's terminal...
  const sized = await engine.execCreate(box, { cmd: ['sh', '-c', 'read x; stty size'], tty: true, attachStdin: true });
  const sizedSession = await engine.execStart(sized);
  await engine.execResize(sized, 40, 100);
  sizedSession.streams.stdin!.write('go\r');
  const [sizedOut] = await Promise.all([collect(sizedSession.streams.stdout), sizedSession.exit]);
  assert.match(sizedOut, /^40 100\r$/m);
  await engine.remove(box, { force: true });
  // ...and the container's.
  const { id: sizedBox } = await engine.create({ image: TEST_IMAGE, cmd: ['sh', '-c', 'read x; stty size'], tty: true, openStdin: true });
  const att = await engine.attach(sizedBox, { stdin: true, stdout: true });
  await engine.start(sizedBox);
  await engine.resize(sizedBox, 30, 90);
  att.stdin!.write('go\r');
  await engine.wait(sizedBox, 'not-running', AbortSignal.timeout(20_000));
  await Promise.race([att.done, sleep(3000)]);
  assert.match(await collect(att.stdout), /^30 90\r$/m);
});

test('restore() deletes the runtime state a killed monitor left behind, then recreates the container', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t);
  const { engine } = te;
  const { id } = await engine.create({ image: TEST_IMAGE, cmd: ['sleep', '300'], host: { restartPolicy: { name: 'always', maximumRetryCount: 0 } } });
  await engine.start(id);
  const before = await engine.inspect(id);
  const state = JSON.parse(await readFile(`${engine.containerDir(id)}/state.json`, 'utf8')) as { monitorPid: number };
  process.kill(state.monitorPid, 'SIGKILL'); // the container process and crun's state stay behind
  await waitFor(async () => (await engine.inspect(id)).state.status === 'exited', 'monitor loss noticed');
  const notes: string[] = [];
  const other = new Engine(new LocalImages(te.root), { root: te.root, runRoot: engine.runRoot, bridge: te.bridge, subnet: te.subnet, onNote: (n) => notes.push(n) });
  assert.deepEqual(await other.restore(), [id], notes.join('\n'));
  const after = await other.inspect(id);
  assert.equal(after.state.status, 'running');
  assert.notEqual(after.state.pid, before.state.pid);
  await waitFor(async () => { try { process.kill(before.state.pid, 0); return false; } catch { return true; } }, 'the old process gone');
  await other.remove(id, { force: true });
});

test('start errors do not carry the "Error response from daemon:" prefix the API and CLI add', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const { id } = await engine.create({ image: TEST_IMAGE, cmd: ['/does-not-exist'] });
  await assert.rejects(engine.start(id), (err: Error) => {
    assert.match(err.message, /^failed to create task for container /);
    return true;
  });
});

test('attach ends promptly when its container is removed or stays exited (no 5-minute poll)', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const { id: created } = await engine.create({ image: TEST_IMAGE, cmd: ['true'] });
  const a = await engine.attach(created, { stdout: true, stderr: true });
  await engine.remove(created, { force: true });
  assert.equal(await Promise.race([a.done.then(() => 'done'), sleep(5000).then(() => 'polling')]), 'done');
  const r = await runIt(engine, { cmd: ['echo', 'ran'] });
  assert.equal(r.out, 'ran\n');
  const b = await engine.attach(r.id, { stdout: true, stderr: true }); // exited, and nobody starts it
  assert.equal(await Promise.race([b.done.then(() => 'done'), sleep(20_000).then(() => 'polling')]), 'done');
  b.close();
});

test('stdin EOF on an attach session closes only the container stdin: output continues until the exit (run -i)', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const { id } = await engine.create({ image: TEST_IMAGE, cmd: ['sh', '-c', 'cat; sleep 0.5; echo after-eof'], openStdin: true, stdinOnce: true });
  const a = await engine.attach(id, { stdin: true, stdout: true, stderr: true });
  a.stdin!.end('hi\n');
  await engine.start(id);
  const w = await engine.wait(id, 'not-running', AbortSignal.timeout(20_000));
  assert.equal(w.statusCode, 0);
  await Promise.race([a.done, sleep(3000)]);
  assert.equal(await collect(a.stdout), 'hi\nafter-eof\n');
});

test('stop unmounts the container rootfs and start mounts it again, keeping its changes', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const rootfs = (id: string) => `${engine.containerDir(id)}/rootfs`;
  const mounted = async (target: string) => (await readFile('/proc/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === target);
  const { id } = await engine.create({ image: TEST_IMAGE, cmd: ['sh', '-c', 'echo kept >> /state; exec sleep 300'] });
  await engine.start(id);
  assert.equal(await mounted(rootfs(id)), true);
  // start() returns once the process exists; on a busy host its first write may still be ahead of it.
  await waitFor(async () => (await readFile(`${rootfs(id)}/state`, 'utf8').catch(() => '')) === 'kept\n', 'the first run\'s write');
  assert.equal(await engine.stop(id, { timeout: 0 }), true);
  assert.equal(await mounted(rootfs(id)), false);
  await engine.start(id);
  assert.equal(await mounted(rootfs(id)), true);
  await waitFor(async () => (await readFile(`${rootfs(id)}/state`, 'utf8').catch(() => '')) === 'kept\nkept\n', 'the second run\'s write');
  await engine.stop(id, { timeout: 0 });
  assert.equal(await mounted(rootfs(id)), false);
});

test('stop releases the image store overlay of a store-image container (StoreImages), start mounts it again', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t);
  const { buildBusyboxImage, ImageStore } = await import('../image/index.js');
  const { StoreImages } = await import('./store-images.js');
  const built = await buildBusyboxImage({ dir: `${te.root}/../store-img`, tag: 'localhost/store-stop:1' });
  await (await ImageStore.open({ root: te.root })).importOciLayout(built.ociDir, { names: ['localhost/store-stop:1'] });
  const engine = new Engine(new StoreImages(te.root), { root: te.root, runRoot: te.engine.runRoot, bridge: te.bridge, subnet: te.subnet });
  const { id } = await engine.create({ image: 'localhost/store-stop:1', cmd: ['sleep', '300'] });
  t.after(() => engine.remove(id, { force: true }).catch(() => undefined));
  const merged = `${te.root}/image/rootfs/${id}/merged`;
  const mounted = async () => (await readFile('/proc/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === merged);
  await engine.start(id);
  assert.equal(await mounted(), true);
  await engine.stop(id, { timeout: 0 });
  assert.equal(await mounted(), false);
  await engine.start(id);
  assert.equal(await mounted(), true);
  await engine.remove(id, { force: true });
  assert.equal(await mounted(), false);
});

test('an --rm container\'s overlay is volatile (no sync at its unmount); others are not', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const options = async (id: string) => {
    const target = `${engine.containerDir(id)}/rootfs`;
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === target);
    assert.ok(line, `${target} is mounted`);
    // Newer kernels list the option as fsync=volatile.
    return line.split(' - ')[1]!.split(' ')[2]!.split(',').map((o) => (o === 'fsync=volatile' ? 'volatile' : o));
  };
  const { id: rm } = await engine.create({ image: TEST_IMAGE, cmd: ['true'], host: { autoRemove: true } });
  const { id: keep } = await engine.create({ image: TEST_IMAGE, cmd: ['true'] });
  assert.ok((await options(rm)).includes('volatile'));
  assert.ok(!(await options(keep)).includes('volatile'));
  // Runs and is removed like any other container (the overlay unmounted, its directory gone).
  const r = await runIt(engine, { cmd: ['sh', '-c', 'echo changed > /f && cat /f'], host: { autoRemove: true } });
  assert.equal(r.out, 'changed\n');
  await engine.remove(rm);
  await engine.remove(keep);
  await engine.remove(r.id).catch(() => undefined);
  assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(engine.containerDir(rm)));
});

test('a container killed over its memory limit reports OOMKilled (conmon\'s oom file); others do not', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  if ((await engine.monitorKind()) !== 'conmon') return t.skip('OOM reporting comes from conmon');
  // The shell holds 64 MiB of command output in a variable under a 16 MiB limit (this host has no swap);
  // only on its first run (the marker stays in its rootfs), so that a second start shows the flag reset.
  const script = '[ -e /ran ] && exit 3; touch /ran; x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo ${#x}';
  const hog = await runIt(engine, { cmd: ['sh', '-c', script], host: { memory: 16 * 1024 * 1024 } });
  assert.equal(hog.code, 137, hog.err);
  assert.equal((await engine.inspect(hog.id)).state.oomKilled, true);
  const a = await engine.attach(hog.id, { stdout: true, stderr: true });
  await engine.start(hog.id);
  assert.equal((await engine.wait(hog.id, 'not-running', AbortSignal.timeout(30_000))).statusCode, 3);
  await Promise.race([a.done, sleep(3000)]);
  assert.equal((await engine.inspect(hog.id)).state.oomKilled, false);
});

test('runtimeStart() starts a created crun container through its exec fifo; a start whose init is gone fails', async (t) => {
  if (!(await gate(t))) return;
  const dir = await tempDir(t, 'berth-start-');
  const bundle = join(dir, 'bundle');
  await mkdir(bundle);
  const rootfs = await makeBusyboxRootfs(bundle);
  await exec(['crun', 'spec'], { cwd: bundle });
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean }; root: { readonly: boolean } };
  spec.process = { ...spec.process, args: ['/bin/sh', '-c', 'touch /ran; exec sleep 100'], terminal: false };
  spec.root.readonly = false;
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
  const rt = await resolveRuntime('crun', join(dir, 'state'));
  // `create` with stdio detached: the container keeps whatever it inherits open.
  const create = (id: string) => new Promise<void>((resolve, reject) => {
    const argv = runtimeArgv(rt, 'create', '--bundle', bundle, id);
    const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`crun create: exit ${code}`))));
  });
  const ids = [`st-${randomBytes(4).toString('hex')}`, `st-${randomBytes(4).toString('hex')}`];
  t.after(async () => {
    for (const id of ids) await runtimeDelete(rt, id).catch(() => undefined);
  });
  await create(ids[0]!);
  assert.equal((await runtimeState(rt, ids[0]!))?.status, 'created');
  assert.deepEqual(await runtimeStart(rt, ids[0]!), { exitCode: 0, stderr: '' });
  await waitFor(async () => stat(join(rootfs, 'ran')).then(() => true, () => false), 'the started process');
  assert.equal((await runtimeState(rt, ids[0]!))?.status, 'running');
  await create(ids[1]!);
  const init = (await runtimeState(rt, ids[1]!))!.pid;
  process.kill(init, 'SIGKILL');
  await waitFor(async () => (await runtimeState(rt, ids[1]!))?.status === 'stopped', 'the killed init');
  const failed = await runtimeStart(rt, ids[1]!);
  assert.notEqual(failed.exitCode, 0);
  assert.match(failed.stderr, /not running|exec\.fifo|stopped/);
});

test('concurrent attach sessions keep their own output, in order (one shared relay under conmon)', async (t) => {
  if (!(await gate(t))) return;
  const { engine } = await testEngine(t);
  const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => runIt(engine, {
    cmd: ['sh', '-c', `for n in 1 2 3 4 5 6 7 8; do echo c${i}-$n; echo e${i}-$n >&2; done`], host: { networkMode: 'none' },
  })));
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0);
    assert.equal(r.out, [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `c${i}-${n}\n`).join(''));
    assert.equal(r.err, [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `e${i}-${n}\n`).join(''));
  }
});

test('a background removal is out of sight at once and torn down after (settle); one cut short is finished by restore()', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t);
  const { engine, root } = te;
  const runRoot = join(root, '..', 'run');
  const mounted = async (id: string) => (await readFile('/proc/mounts', 'utf8')).includes(id);
  const rt = await resolveRuntime('crun', join(runRoot, 'runtime'));
  const a = await runIt(engine, { name: 'bg-a', cmd: ['true'] });
  assert.equal(a.code, 0);
  assert.ok(await mounted(a.id));
  await engine.remove(a.id, { background: true });
  // Gone at once: inspect, list and the name; what follows (unmount, runtime delete, files) may still run.
  await assert.rejects(engine.inspect(a.id), /No such container/);
  assert.deepEqual((await engine.list({ all: true })).map((c) => c.id), []);
  const again = await engine.create({ image: TEST_IMAGE, name: 'bg-a', cmd: ['true'] });
  await engine.settle();
  assert.equal(await mounted(a.id), false);
  assert.equal(await runtimeState(rt, a.id), undefined);
  await assert.rejects(stat(join(root, 'removed', a.id)));
  await assert.rejects(stat(join(runRoot, 'containers', a.id)));
  await engine.remove(again.id);

  // A process that died after moving the directory away: a fresh engine's restore() finishes the removal.
  const b = await runIt(engine, { cmd: ['true'] });
  await mkdir(join(root, 'removed'), { recursive: true });
  await exec(['mv', join(root, 'containers', b.id), join(root, 'removed', b.id)]);
  assert.ok(await mounted(b.id));
  const fresh = new Engine(te.images, { root, runRoot, bridge: te.bridge, subnet: te.subnet });
  await fresh.restore();
  assert.equal(await mounted(b.id), false);
  await assert.rejects(stat(join(root, 'removed', b.id)));
  await assert.rejects(stat(join(runRoot, 'containers', b.id)));
});

test('crun gets the seccomp program it compiled for the same section before (run.oci.seccomp_bpf_data), byte for byte', async (t) => {
  if (!(await gate(t))) return;
  const te = await testEngine(t, { defaultRuntime: 'crun' });
  const { engine, root } = te;
  const rt = await resolveRuntime('crun', join(root, '..', 'run', 'runtime'));
  // SYS_PTRACE changes the default profile's rules: a section no earlier test in this process used.
  const host = { capAdd: ['SYS_PTRACE'], capDrop: ['NET_RAW'] };
  const first = await engine.create({ image: TEST_IMAGE, cmd: ['sleep', '30'], host });
  await engine.start(first.id);
  const config = async (id: string) => JSON.parse(await readFile(join(root, 'containers', id, 'bundle', 'config.json'), 'utf8')) as { annotations?: Record<string, string>; linux: { seccomp?: unknown } };
  assert.equal((await config(first.id)).annotations?.['run.oci.seccomp_bpf_data'], undefined);
  const compiled = await readFile(join(rt.stateRoot, first.id, 'seccomp.bpf'));
  assert.ok(compiled.length > 0 && compiled.length % 8 === 0);
  // The cache is filled after the create, off the start's path: the next start finds it soon after.
  let second!: { id: string; code: number; out: string; err: string };
  for (let i = 0; i < 20; i++) {
    second = await runIt(engine, { cmd: ['sh', '-c', 'grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=denied'], host });
    if ((await config(second.id)).annotations?.['run.oci.seccomp_bpf_data'] !== undefined) break;
    await sleep(50);
  }
  const cfg = await config(second.id);
  assert.deepEqual(cfg.linux.seccomp, (await config(first.id)).linux.seccomp);
  assert.deepEqual(Buffer.from(cfg.annotations?.['run.oci.seccomp_bpf_data'] ?? '', 'base64'), compiled);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /^Seccomp:\s+2$/m);
  assert.match(second.out, /^unshare=denied$/m);
  await engine.remove(first.id, { force: true });
});
