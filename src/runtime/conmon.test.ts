import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { decodeK8sLine, exitScript, K8sLogDecoder, wantsRestart, writeExitTemplates } from './index.js';
import { exec } from '../core/index.js';
import { readLogFile } from './json-log.js';
import { tempDir } from '../core/test-support.js';

// Lines as conmon 2.1.6 writes them (ctr_logging.c: timestamp with the local offset, stream, P|F, text).
const LINES = [
  '2026-11-27T12:00:00.000000001+00:00 stdout F out',
  '2026-11-27T12:00:00.5+01:00 stderr F err',
  '2026-11-27T12:00:01.000000100Z stdout P part',
  '2026-11-27T12:00:01.000000200Z stderr F between',
  '2026-11-27T12:00:01.000000300Z stdout P -ial',
  '2026-11-27T12:00:01.000000400Z stdout F  end',
  '2026-11-27T12:00:02.000000000Z stdout P no newline',
];

test('decodeK8sLine() reads time (any offset, up to 9 digits), stream, P/F and the text', () => {
  const a = decodeK8sLine(Buffer.from(LINES[0]!))!;
  assert.equal(a.timeNs, BigInt(Date.parse('2026-11-27T12:00:00Z')) * 1_000_000n + 1n);
  assert.deepEqual([a.stream, a.full, a.text.toString()], ['stdout', true, 'out']);
  const b = decodeK8sLine(Buffer.from(LINES[1]!))!;
  assert.equal(b.timeNs, BigInt(Date.parse('2026-11-27T11:00:00Z')) * 1_000_000n + 500_000_000n);
  assert.equal(decodeK8sLine(Buffer.from('garbage')), undefined);
  assert.equal(decodeK8sLine(Buffer.from('2026-11-27T12:00:00Z stdin F x')), undefined);
});

test('K8sLogDecoder joins P fragments per stream with the first fragment\'s time; a trailing fragment comes at flush', () => {
  const d = new K8sLogDecoder();
  const out = LINES.map((l) => d.line(Buffer.from(l))).filter((e) => e !== undefined);
  assert.deepEqual(out.map((e) => [e.stream, e.log.toString(), e.time]), [
    ['stdout', 'out\n', '2026-11-27T12:00:00.000000001Z'],
    ['stderr', 'err\n', '2026-11-27T11:00:00.500000000Z'],
    ['stderr', 'between\n', '2026-11-27T12:00:01.000000200Z'],
    ['stdout', 'part-ial end\n', '2026-11-27T12:00:01.000000100Z'],
  ]);
  assert.deepEqual(d.flush().map((e) => [e.stream, e.log.toString()]), [['stdout', 'no newline']]);
  assert.deepEqual(d.flush(), []);
});

test('readLogFile() with the k8s decoder: tail counts joined entries, since filters on their time', async (t) => {
  const dir = await tempDir(t);
  const path = `${dir}/c-k8s.log`;
  await writeFile(path, `${LINES.join('\n')}\n`);
  const all = [];
  for await (const e of readLogFile(path, new K8sLogDecoder())) all.push(e.log.toString());
  assert.deepEqual(all, ['out\n', 'err\n', 'between\n', 'part-ial end\n', 'no newline']);
  const tail = [];
  for await (const e of readLogFile(path, new K8sLogDecoder(), { tail: 2 })) tail.push(e.log.toString());
  assert.deepEqual(tail, ['part-ial end\n', 'no newline']);
  const since = [];
  for await (const e of readLogFile(path, new K8sLogDecoder(), { since: Date.parse('2026-11-27T12:00:01Z') / 1000 })) since.push(e.log.toString());
  assert.deepEqual(since, ['between\n', 'part-ial end\n', 'no newline']);
});

test('wantsRestart() follows docker\'s policies', () => {
  const p = (name: string, maximumRetryCount = 0) => ({ name, maximumRetryCount });
  assert.equal(wantsRestart(p('no'), 1, 0, false), false);
  assert.equal(wantsRestart(p('always'), 0, 5, false), true);
  assert.equal(wantsRestart(p('always'), 0, 0, true), false);
  assert.equal(wantsRestart(p('unless-stopped'), 0, 0, false), true);
  assert.equal(wantsRestart(p('on-failure'), 0, 0, false), false);
  assert.equal(wantsRestart(p('on-failure', 2), 1, 1, false), true);
  assert.equal(wantsRestart(p('on-failure', 2), 1, 2, false), false);
  assert.equal(wantsRestart(p('on-failure'), 1, 99, false), true);
});

test('the shell exit command fills in the die event and the exited state, claims once, deletes through the runtime', async (t) => {
  const base = await tempDir(t);
  const d = `${base}/c`;
  const r = `${base}/r`;
  await mkdir(d);
  await mkdir(r);
  const id = 'a'.repeat(64);
  const events = `${base}/events.jsonl`;
  // Labels with what sed or the shell could mangle: backslashes, quotes, %, &, /, $, a newline, non-ASCII.
  const attributes = { name: 'n1', image: 'img', 'x.label': 'a\\b "q" 100% &/$HOME\nnext ü' };
  const running = { status: 'running', pid: 42, exitCode: 0, startedAt: '2026-11-27T12:00:00Z', finishedAt: '0001-01-01T00:00:00Z', manuallyStopped: false, monitor: 'conmon' };
  await writeExitTemplates(r, running, { ...running, status: 'exited', pid: 0 }, { type: 'container', action: 'die', id, attributes });
  await writeFile(`${d}/record.json`, '{}');
  await writeFile(`${d}/state.json`, JSON.stringify(running));
  await writeFile(`${d}/stop-requested`, 'stop');
  await mkdir(`${d}/bundle`);
  await writeFile(`${d}/bundle/oom`, ''); // conmon saw an OOM kill
  await writeFile(`${r}/${id}`, '137'); // conmon's exit file: the code, no newline
  await utimes(`${r}/${id}`, 1_800_000_000, 1_800_000_000.5);
  const script = await exitScript(`${base}/rt`, ['/bin/false']);
  const fake = ['/bin/sh', '-c', `printf '%s\\n' "$*" >> ${base}/runtime-calls`, 'sh'];
  const run = () => exec(['/bin/sh', script, d, r, id, events, '0', ...fake]);
  await run();
  const lines = (await readFile(events, 'utf8')).split('\n').filter(Boolean);
  assert.equal(lines.length, 1);
  const die = JSON.parse(lines[0]!) as { action: string; id: string; attributes: Record<string, string>; time: number; timeNano: number };
  assert.deepEqual([die.action, die.id, die.attributes], ['die', id, { ...attributes, exitCode: '137' }]);
  assert.deepEqual([die.time, die.timeNano], [1_800_000_000, 1_800_000_000_500_000_000]);
  const st = JSON.parse(await readFile(`${d}/state.json`, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(st, { ...running, status: 'exited', pid: 0, exitCode: 137, finishedAt: '2027-01-15T08:00:00.500000000Z', manuallyStopped: true, oomKilled: true });
  assert.equal(await readFile(`${base}/runtime-calls`, 'utf8'), `delete --force ${id}\n`);
  assert.equal(await readFile(`${r}/exit-done`, 'utf8'), '');
  // A second run (the claim exists, state.json is no longer the running one): no second event or state;
  // with a removal claimed, the remover deletes the runtime's container, not the exit command.
  await writeFile(`${d}/removing`, '1');
  await run();
  assert.equal((await readFile(events, 'utf8')).split('\n').filter(Boolean).length, 1);
  assert.deepEqual(JSON.parse(await readFile(`${d}/state.json`, 'utf8')), st);
  assert.equal(await readFile(`${base}/runtime-calls`, 'utf8'), `delete --force ${id}\n`);
});
