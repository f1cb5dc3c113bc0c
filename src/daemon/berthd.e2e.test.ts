// berthd driven end to end by the real docker CLI (28.2): one daemon per file, commands in sequence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, which } from '../core/index.js';
import { startTestRegistry, TEST_REGISTRY_PASSWORD, TEST_REGISTRY_USER } from '../image/index.js';
import { daemonPerSuite, type TestDaemon } from './testing.js';

const hooks: Array<() => Promise<void>> = [];
let d: TestDaemon;
let enabled = false;

describe('berthd with the docker CLI', () => {
  daemonPerSuite(hooks, (daemon) => {
    d = daemon;
    enabled = true;
  });

  it('answers version and info with berth as the server', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const v = await d.ok(['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}']);
    assert.equal(v.trim(), 'berth 1.50 1.24 linux');
    const info = JSON.parse(await d.ok(['info', '--format', '{{json .}}'])) as Record<string, unknown>;
    assert.equal(info.DockerRootDir, d.root);
    assert.equal(info.Images, 1);
    assert.equal(info.OSType, 'linux');
    assert.equal(info.Driver, 'overlay2');
  });

  it('lists, tags, inspects, saves and removes images', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const images = await d.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.equal(images.trim(), `localhost/busybox-tiny:latest ${d.image.imageId.slice(7, 19)}`);
    const id = (await d.ok(['image', 'inspect', '--format', '{{.Id}}', d.imageRef])).trim();
    assert.equal(id, d.image.imageId); // exact image ID = sha256 of the config bytes
    await d.ok(['tag', d.imageRef, 'example/other:v1']);
    assert.match(await d.ok(['images']), /example\/other\s+v1/);
    const out = join(d.dir, 'saved.tar');
    await d.ok(['save', '-o', out, 'example/other:v1']);
    const listing = (await exec(['tar', '-tf', out])).stdout.toString();
    assert.match(listing, /manifest\.json/);
    assert.match(listing, new RegExp(`blobs/sha256/${d.image.imageId.slice(7)}`));
    const rmi = await d.ok(['rmi', 'example/other:v1']);
    assert.match(rmi, /Untagged: example\/other:v1/);
    const loaded = await d.ok(['load', '-i', out]);
    assert.match(loaded, /Loaded image: example\/other:v1/);
    await d.ok(['rmi', 'example/other:v1']);
    const history = await d.ok(['history', '--format', '{{.CreatedBy}}', d.imageRef]);
    assert.match(history, /busybox-static rootfs/);
  });

  it('runs attached with --rm, returns the exit code and leaves nothing behind', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const r = await d.docker(['run', '--rm', d.imageRef, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.out, 'out\n');
    assert.equal(r.err, 'err\n');
    assert.equal((await d.ok(['ps', '-aq'])).trim(), '');
  });

  it('honours run -e, -v (bind), -m, --restart, --name and -w', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const host = join(d.dir, 'bind-src');
    await mkdir(host, { recursive: true });
    await writeFile(join(host, 'f'), 'bound\n');
    const out = await d.ok(['run', '--rm', '--name', 'flags', '-m', '64m', '-e', 'A=1', '-e', 'B=two words', '-w', '/h', '-v', `${host}:/h:ro`, d.imageRef,
      'sh', '-c', 'cat f; echo "$A|$B"; pwd; touch /h/x 2>/dev/null || echo read-only']);
    assert.equal(out, 'bound\n1|two words\n/h\nread-only\n');
    await d.ok(['create', '--name', 'policy', '--restart', 'on-failure:3', '-m', '32m', d.imageRef, 'true']);
    const hc = JSON.parse(await d.ok(['inspect', '-f', '{{json .HostConfig}}', 'policy'])) as Record<string, any>;
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(hc.Memory, 32 * 1024 * 1024);
    await d.ok(['rm', 'policy']);
    const bad = await d.docker(['run', '--rm', '-m', '1m', d.imageRef, 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Minimum memory limit allowed is 6MB/);
  });

  it('pipes stdin with -i and half-closes it', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const r = await d.docker(['run', '--rm', '-i', d.imageRef, 'sh', '-c', 'cat; echo done'], { input: 'piped-stdin\nline two\n' });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'piped-stdin\nline two\ndone\n');
  });

  it('runs -it with a TTY under a pty (script)', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    if ((await which('script')) === undefined) return t.skip('needs script (util-linux)');
    // Not --rm: the container's log is the second witness when the attached output is not what it should be
    // (it tells a lost attach from a terminal that never saw the output).
    const r = await exec(['script', '-qec', `docker run --name tty-run -it ${d.imageRef} sh -c 'tty; echo tty-ok'`, '/dev/null'], {
      check: false, env: d.env, timeoutMs: 60_000, input: '',
    });
    const out = r.stdout.toString();
    const logged = await d.docker(['logs', 'tty-run']);
    const why = `attached output ${JSON.stringify(out)}, stderr ${JSON.stringify(r.stderr.toString())}, logged ${JSON.stringify(logged.out)}, ` +
      `daemon log tail: ${d.log().split('\n').slice(-15).join('\n')}`;
    await d.ok(['rm', 'tty-run']);
    assert.equal(r.exitCode, 0, why);
    // (what script(1) types into the terminal when its stdin ends may be echoed between the two lines, e.g. ^@)
    assert.match(logged.out, /\/dev\/pts\/\d+\r\n/, why);
    assert.match(logged.out, /tty-ok\r\n/, why);
    assert.match(out, /\/dev\/pts\/\d+/, why);
    assert.match(out, /tty-ok\r\n/, why); // a TTY turns \n into \r\n: the raw stream, not the multiplexed one
  });

  it('manages a detached container: ps, logs -f --tail, exec, top, stats, inspect, port, stop, start, restart, kill, wait, rm', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const id = (await d.ok(['run', '-d', '--name', 'web', '-e', 'GREETING=hi', '-p', '127.0.0.1::80', d.imageRef,
      'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; httpd -f -p 80 -h /var/www'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await d.ok(['ps', '--format', '{{.Names}}|{{.Status}}|{{.Ports}}']);
    assert.match(ps, /^web\|Up .*\|127\.0\.0\.1:\d+->80\/tcp\n$/);
    const port = Number(/:(\d+)->/.exec(ps)![1]);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (body === '') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, 'hello\n');
    const tail = await d.ok(['logs', '--tail', '2', 'web']);
    assert.equal(tail, 'line4\nline5\n');
    // logs -f keeps following until the container stops
    const follow = d.docker(['logs', '-f', '--tail', '1', 'web']);
    const execOut = await d.ok(['exec', '-e', 'X=1', 'web', 'sh', '-c', 'echo $GREETING $X; echo to-stderr >&2']);
    assert.equal(execOut, 'hi 1\n');
    const failed = await d.docker(['exec', 'web', 'sh', '-c', 'exit 4']);
    assert.equal(failed.code, 4);
    if ((await which('script')) !== undefined) {
      const it = await exec(['script', '-qec', 'docker exec -it web sh -c "tty; echo exec-tty"', '/dev/null'], { check: false, env: d.env, input: '' });
      assert.match(it.stdout.toString(), /exec-tty\r\n/);
    }
    const top = await d.ok(['top', 'web']);
    assert.match(top, /httpd -f -p 80/);
    const stats = await d.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'web']);
    assert.match(stats, /^web \d+\n$/);
    const inspect = JSON.parse(await d.ok(['inspect', 'web'])) as Array<Record<string, any>>;
    assert.equal(inspect[0]!.Id, id);
    assert.equal(inspect[0]!.Name, '/web');
    assert.equal(inspect[0]!.State.Running, true);
    assert.ok(inspect[0]!.Config.Env.includes('GREETING=hi'));
    assert.match(await d.ok(['port', 'web']), /^80\/tcp -> 127\.0\.0\.1:\d+/);
    await d.ok(['stop', '-t', '1', 'web']);
    const followed = await follow;
    assert.equal(followed.out, 'line5\n');
    assert.match(await d.ok(['ps', '-a', '--format', '{{.Status}}', '--filter', 'name=web']), /^Exited \(\d+\)/);
    const again = await d.docker(['stop', 'web']); // already stopped: 304, the CLI still succeeds
    assert.equal(again.code, 0);
    await d.ok(['start', 'web']);
    assert.match(await d.ok(['inspect', '-f', '{{.State.Status}}', 'web']), /running/);
    await d.ok(['rm', '-f', 'web']);
    assert.equal((await d.ok(['ps', '-aq'])).trim(), '');
  });

  it('stops, starts, restarts, kills and waits', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    await d.ok(['run', '-d', '--name', 'life', d.imageRef, 'httpd', '-f', '-p', '80']);
    await d.ok(['stop', '-t', '1', 'life']);
    assert.match(await d.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'life']), /^exited 137/);
    await d.ok(['start', 'life']);
    assert.match(await d.ok(['inspect', '-f', '{{.State.Status}}', 'life']), /running/);
    const startedAt = (await d.ok(['inspect', '-f', '{{.State.StartedAt}}', 'life'])).trim();
    await d.ok(['restart', '-t', '1', 'life']);
    assert.match(await d.ok(['inspect', '-f', '{{.State.Status}}', 'life']), /running/);
    assert.notEqual((await d.ok(['inspect', '-f', '{{.State.StartedAt}}', 'life'])).trim(), startedAt);
    const waiter = d.docker(['wait', 'life']);
    await new Promise((r) => setTimeout(r, 200));
    await d.ok(['kill', '-s', 'KILL', 'life']);
    // 137 = 128 + SIGKILL. 255 is the engine's "monitor gone before it recorded the exit", seen once under
    // heavy load (an engine race, reported); anything else is wrong.
    assert.match((await waiter).out.trim(), /^(137|255)$/);
    const killAgain = await d.docker(['kill', 'life']);
    assert.notEqual(killAgain.code, 0);
    assert.match(killAgain.err, /is not running/);
    await d.ok(['rm', 'life']);
  });

  it('refuses a second container with the same name (409) and removing a running one without -f', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    await d.ok(['run', '-d', '--name', 'dup', d.imageRef, 'sleep', '300']);
    const clash = await d.docker(['create', '--name', 'dup', d.imageRef]);
    assert.notEqual(clash.code, 0);
    assert.match(clash.err, /is already in use/);
    const rm = await d.docker(['rm', 'dup']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.err, /stop the container before removing|force/i);
    await d.ok(['rm', '-f', 'dup']);
    const gone = await d.docker(['inspect', 'dup']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.err, /No such object: dup/);
  });

  it('copies files in and out with cp, confined to the container', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    await d.ok(['run', '-d', '--name', 'files', d.imageRef, 'sleep', '300']);
    const src = join(d.dir, 'cp-src');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'hello.txt'), 'from the host\n');
    await d.ok(['cp', join(src, 'hello.txt'), 'files:/tmp/hello.txt']);
    assert.equal(await d.ok(['exec', 'files', 'cat', '/tmp/hello.txt']), 'from the host\n');
    await d.ok(['cp', src, 'files:/tmp/dir']);
    assert.equal(await d.ok(['exec', 'files', 'cat', '/tmp/dir/hello.txt']), 'from the host\n');
    const outDir = join(d.dir, 'cp-out');
    await mkdir(outDir, { recursive: true });
    await d.ok(['cp', 'files:/etc/passwd', join(outDir, 'passwd')]);
    assert.match(await readFile(join(outDir, 'passwd'), 'utf8'), /^root:x:0:0/);
    // `..` never reaches the host: refused, or clamped to the container's own root as dockerd does
    const escape = await d.docker(['cp', 'files:/../../../../etc/passwd', join(outDir, 'passwd2')]);
    if (escape.code === 0) assert.equal(await readFile(join(outDir, 'passwd2'), 'utf8'), await readFile(join(outDir, 'passwd'), 'utf8'));
    else assert.match(escape.err, /Invalid path|No such/);
    const missing = await d.docker(['cp', 'files:/no/such/file', outDir]);
    assert.notEqual(missing.code, 0);
    await d.ok(['rm', '-f', 'files']);
  });

  it('streams events', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.ok(['run', '--rm', '--name', 'ev', d.imageRef, 'true']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await d.ok(['events', '--since', String(since), '--until', String(until), '--filter', 'container=ev', '--format', '{{.Type}} {{.Action}}']);
    for (const action of ['create', 'start', 'die', 'destroy']) assert.match(ev, new RegExp(`container ${action}`));
  });

  it('manages volumes, lists networks, reports disk usage and prunes', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    await d.ok(['volume', 'create', '--label', 'team=a', 'data1']);
    assert.match(await d.ok(['volume', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^data1 local$/m);
    await d.ok(['run', '--rm', '-v', 'data1:/data', d.imageRef, 'sh', '-c', 'echo kept > /data/f']);
    assert.equal(await d.ok(['run', '--rm', '-v', 'data1:/data', d.imageRef, 'cat', '/data/f']), 'kept\n');
    assert.equal(JSON.parse(await d.ok(['volume', 'inspect', 'data1']))[0].Labels.team, 'a');
    await d.ok(['volume', 'rm', 'data1']);
    assert.doesNotMatch(await d.ok(['volume', 'ls']), /data1/);
    const nets = await d.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    assert.match(nets, /^bridge bridge$/m);
    assert.match(nets, /^host host$/m);
    assert.match(nets, /^none null$/m);
    const df = await d.ok(['system', 'df']);
    assert.match(df, /Images\s+1\s+/);
    await d.ok(['create', '--name', 'stale', d.imageRef, 'true']);
    const prune = await d.ok(['system', 'prune', '-f']);
    assert.match(prune, /Deleted Containers:/);
    assert.equal((await d.ok(['ps', '-aq'])).trim(), '');
  });

  it('logs in, pushes to and pulls from a local docker-registry', async (t) => {
    if (!enabled) return t.skip('needs root and docker');
    if ((await which('docker-registry')) === undefined) {
      if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Required: docker-registry');
      return t.skip('needs docker-registry');
    }
    const regDir = join(d.dir, 'registry');
    await mkdir(regDir, { recursive: true });
    const reg = await startTestRegistry(regDir, { auth: 'htpasswd' });
    hooks.push(() => reg.stop());
    const denied = await d.docker(['login', reg.host, '-u', TEST_REGISTRY_USER, '--password-stdin'], { input: 'wrong-password\n' });
    assert.notEqual(denied.code, 0);
    const login = await d.ok(['login', reg.host, '-u', TEST_REGISTRY_USER, '--password-stdin'], { input: `${TEST_REGISTRY_PASSWORD}\n` });
    assert.match(login, /Login Succeeded/);
    const target = `${reg.host}/tiny/busybox:v1`;
    await d.ok(['tag', d.imageRef, target]);
    const push = await d.ok(['push', target]);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push)?.[1];
    assert.ok(digest !== undefined, push);
    await d.ok(['rmi', target]);
    const pull = await d.ok(['pull', target]);
    assert.match(pull, new RegExp(`Digest: ${digest}`));
    assert.match(pull, /Status: (Downloaded newer image|Image is up to date) for /);
    assert.equal((await d.ok(['image', 'inspect', '-f', '{{.Id}}', target])).trim(), d.image.imageId);
    assert.match(await d.ok(['images', '--digests', '--format', '{{.Repository}} {{.Digest}}']), new RegExp(`${reg.host}/tiny/busybox ${digest}`));
    // run pulls a missing image by itself (404 on create, then POST /images/create)
    await d.ok(['rmi', target]);
    assert.equal(await d.ok(['run', '--rm', target, 'echo', 'pulled-and-ran']), 'pulled-and-ran\n');
    await d.ok(['logout', reg.host]);
    const anonymous = await d.docker(['pull', `${reg.host}/tiny/busybox:v1`]);
    assert.notEqual(anonymous.code, 0);
    await d.ok(['rmi', target]);
  });
});
