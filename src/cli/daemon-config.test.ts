import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigInvalid, loadConfig, parseConfigText } from './daemon-config.js';
import { createLogger } from './daemon-log.js';

test('loadConfig() layers vendor, vendor drop-ins, /etc, /etc drop-ins, --config and flags, later wins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vendor = join(dir, 'usr-lib-berth');
  const etc = join(dir, 'etc-berth');
  await mkdir(join(vendor, 'berth.toml.d'), { recursive: true });
  await mkdir(join(etc, 'berth.toml.d'), { recursive: true });
  await writeFile(join(vendor, 'berth.toml'), '[daemon]\nroot = "/vendor/root"\nlog_level = "warn"\n[engine]\nbridge = "vendor0"\nsubnet = "10.1.0.0/24"\n');
  await writeFile(join(vendor, 'berth.toml.d', '10-a.toml'), '[engine]\nbridge = "dropin0"\n');
  await writeFile(join(etc, 'berth.toml'), '[daemon]\nroot = "/etc/root"\n[registries]\ninsecure = ["127.0.0.1:5000"]\n');
  await writeFile(join(etc, 'berth.toml.d', '20-b.toml'), '[engine]\nsubnet = "10.2.0.0/24"\n');
  await writeFile(join(etc, 'berth.toml.d', '10-a.toml'), '[engine]\nsubnet = "10.3.0.0/24"\ndefault_runtime = "runc"\n');
  await writeFile(join(etc, 'berth.toml.d', 'ignored.conf'), 'not toml at all [');
  const extra = join(dir, 'extra.toml');
  await writeFile(extra, '[daemon]\nlog_level = "debug"\n');
  const c = await loadConfig({ vendorDir: vendor, etcDir: etc, configFile: extra }, { runRoot: '/flag/run' });
  assert.equal(c.root, '/etc/root');
  assert.equal(c.runRoot, '/flag/run');
  assert.equal(c.dockerSocket, '/flag/run/docker.sock');
  assert.equal(c.bridge, 'dropin0');
  assert.equal(c.subnet, '10.2.0.0/24'); // 20-b after 10-a
  assert.equal(c.defaultRuntime, 'runc');
  assert.equal(c.logLevel, 'debug');
  assert.deepEqual(c.insecureRegistries, ['127.0.0.1:5000']);
  assert.equal(c.sources.length, 6);
  const flags = await loadConfig({ vendorDir: vendor, etcDir: etc }, { root: '/flag/root', dockerSocket: '/x.sock' });
  assert.equal(flags.root, '/flag/root');
  assert.equal(flags.runRoot, '/flag/root/run');
  assert.equal(flags.dockerSocket, '/x.sock');
});

test('loadConfig() refuses a run root too long for the container sockets under it', async () => {
  await assert.rejects(
    loadConfig({ vendorDir: '/nonexistent', etcDir: '/nonexistent' }, { root: '/x', runRoot: `/tmp/${'r'.repeat(40)}` }),
    (err: unknown) => ConfigInvalid.is(err) && /too long/.test(err.message),
  );
});

test('loadConfig() refuses TCP without TLS client verification', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const f = join(dir, 'tcp.toml');
  await writeFile(f, '[daemon]\ntcp = "127.0.0.1:2376"\ntls_cert = "/c.pem"\n');
  await assert.rejects(loadConfig({ vendorDir: dir, etcDir: dir, configFile: f }, { root: '/x', runRoot: '/run/x' }),
    (err: unknown) => ConfigInvalid.is(err) && /daemon\.tls_key, daemon\.tls_ca/.test(err.message));
});

test('parseConfigText() names the file and the key of a mistake', () => {
  assert.throws(() => parseConfigText('[daemon]\nrot = "/x"\n', '/etc/berth/berth.toml'),
    (err: unknown) => ConfigInvalid.is(err) && err.message === '/etc/berth/berth.toml: unknown key daemon.rot');
  assert.throws(() => parseConfigText('[daemon]\nrestore = "yes"\n', 'f.toml'),
    (err: unknown) => ConfigInvalid.is(err) && err.message === 'f.toml: daemon.restore must be a boolean');
  assert.throws(() => parseConfigText('[nope]\n', 'f.toml'), /unknown table \[nope\]/);
  assert.throws(() => parseConfigText('[daemon\n', 'f.toml'), (err: unknown) => ConfigInvalid.is(err) && err.message.startsWith('f.toml: '));
});

test('createLogger() writes one JSON object per line, filtered by level, with journald priorities', () => {
  const lines: string[] = [];
  const now = (): Date => new Date('2026-11-27T08:00:00Z');
  const log = createLogger({ level: 'info', out: { write: (s: string) => lines.push(s) }, journald: false, now });
  log.debug('hidden');
  log.info('started', { socket: '/run/berth/docker.sock' });
  assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [
    { time: '2026-11-27T08:00:00.000Z', level: 'info', msg: 'started', socket: '/run/berth/docker.sock' },
  ]);
  const j: string[] = [];
  createLogger({ level: 'debug', out: { write: (s: string) => j.push(s) }, journald: true, now }).warn('w');
  assert.match(j[0]!, /^<4>\{"time":/);
});
