import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultName, findLabel, labelArgv, shellSplit } from './runlabel-command.js';
import { parseTemplate, tabwrite } from './template.js';
import { parseFlags } from './flags.js';
import { renderUnit } from './generate-unit.js';

test('labelArgv() substitutes ${IMAGE} ${NAME} ${OPT1} and drops unresolved $words, as atomic does', () => {
  const argv = labelArgv('docker run -d --name ${NAME} -e X=$OPT1 -e Y=${FOO:-bar} -e Z=$UNSET ${IMAGE} httpd', {
    image: 'reg/ns/app:1', name: 'app', args: ['-p', '80'], env: { OPT1: 'one' },
  });
  assert.deepEqual(argv, ['docker', 'run', '-d', '--name', 'app', '-e', 'X=one', '-e', 'Y=', '-e', 'Z=', 'reg/ns/app:1', 'httpd', '-p', '80']);
});

test('labelArgv() replaces the old bare IMAGE/NAME tokens', () => {
  assert.deepEqual(labelArgv('docker run --name NAME -e IMAGE=IMAGE IMAGE', { image: 'i', name: 'n', args: [], env: {} }), ['docker', 'run', '--name', 'n', '-e', 'IMAGE=i', 'i']);
});

test('defaultName() and findLabel() follow atomic', () => {
  assert.equal(defaultName('registry:5000/ns/app:1.2'), 'app');
  assert.equal(defaultName('busybox@sha256:ab'), 'busybox');
  assert.equal(findLabel({ Run: 'x' }, 'RUN'), 'x');
  assert.equal(findLabel({ install: 'y' }, 'INSTALL'), 'y');
});

test('shellSplit() handles quotes like shlex', () => {
  assert.deepEqual(shellSplit(`sh -c 'echo "a b"' "c\\"d" e\\ f`), ['sh', '-c', 'echo "a b"', 'c"d', 'e f']);
});

test('parseFlags() parses docker style flags and stops at the image', () => {
  const r = parseFlags(['-dit', '--name=x', '-p8080:80', '-e', 'A=1', 'img', 'sh', '-c', 'echo'], {
    detach: { type: 'bool', short: 'd' }, interactive: { type: 'bool', short: 'i' }, tty: { type: 'bool', short: 't' },
    name: { type: 'string' }, publish: { type: 'list', short: 'p' }, env: { type: 'list', short: 'e' }, c: { type: 'bool', short: 'c' },
  }, true);
  assert.deepEqual(r.values, { detach: true, interactive: true, tty: true, name: 'x', publish: ['8080:80'], env: ['A=1'] });
  assert.deepEqual(r.positionals, ['img', 'sh', '-c', 'echo']);
});

test('parseTemplate() renders docker --format subsets and table headers with tabwriter spacing', () => {
  const t = parseTemplate('table {{.ID}}\\t{{.Names}}\\t{{.Status}}');
  const row = { ID: 'abc', Names: 'web', Status: 'Up 2 seconds' };
  assert.equal(tabwrite([t.header({ ID: 'CONTAINER ID', Names: 'NAMES', Status: 'STATUS' }), t.render(row)]), 'CONTAINER ID   NAMES     STATUS\nabc            web       Up 2 seconds\n');
  assert.equal(parseTemplate('{{.Label "a"}}').render({ LabelsMap: { a: 'b' } }), 'b');
  assert.equal(parseTemplate('{{json .}}').render({ A: 1 }), '{"A":1}');
  assert.equal(parseTemplate('{{.State.Status}} {{index .Config.Labels "k"}}').render({ State: { Status: 'running' }, Config: { Labels: { k: 'v' } } }), 'running v');
});

test('renderUnit() writes a forking unit on the monitor pid file for an existing container', () => {
  const u = renderUnit({ berth: ['/usr/bin/berth'], name: 'web', id: 'abc', restartPolicy: 'on-failure', stopTimeout: 10, environment: { BERTH_ROOT: '/var/lib/berth' }, pidFile: '/run/berth/containers/abc/monitor.pid' });
  assert.match(u, /^ExecStart=\/usr\/bin\/berth start abc$/m);
  assert.match(u, /^PIDFile=\/run\/berth\/containers\/abc\/monitor.pid$/m);
  assert.match(u, /^Type=forking$/m);
  assert.match(u, /^Environment=BERTH_ROOT=\/var\/lib\/berth$/m);
});
