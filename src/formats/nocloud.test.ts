import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DEFAULT_USER, parseMetaData, parseSeed, parseUserData, SeedInvalid, type SeedIssue } from './nocloud.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdP1Xz0YhZ4pS0d8uHqK3mC7l0ZbOkqgV2sM4n9r8Xy alice@laptop';

function issuesOf(fn: () => unknown): SeedIssue[] {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(SeedInvalid.is(caught), `expected FORMAT_SEED_INVALID, got ${String(caught)}`);
  assert.equal(caught.code, 'FORMAT_SEED_INVALID');
  return [...caught.details.issues];
}

test('meta-data: instance-id and local-hostname, YAML or JSON', () => {
  assert.deepEqual(parseMetaData('instance-id: iid-01\nlocal-hostname: node1.example\n'), { instanceId: 'iid-01', localHostname: 'node1.example' });
  assert.deepEqual(parseMetaData('{"instance-id": "i-abc"}'), { instanceId: 'i-abc' });
  assert.deepEqual(parseMetaData('instance-id: 42\n'), { instanceId: '42' });
  const missing = issuesOf(() => parseMetaData('local-hostname: a\n'));
  assert.deepEqual(missing.map((i) => i.key), ['instance-id']);
  const unknown = issuesOf(() => parseMetaData('instance-id: a\nregion: x\n'));
  assert.deepEqual(unknown.map((i) => [i.file, i.line, i.key]), [['meta-data', 2, 'region']]);
  assert.deepEqual(issuesOf(() => parseMetaData('')).map((i) => i.key), ['instance-id']);
});

test('user-data: the #cloud-config subset maps to a typed seed', () => {
  const content = 'hello\n';
  const seed = parseSeed(
    'instance-id: iid-1\nlocal-hostname: from-meta\n',
    `#cloud-config
hostname: node1
groups:
  - ops
  - admins: [root]
users:
  - default
  - name: alice
    gecos: Alice Example
    groups: sudo, ops
    sudo: ALL=(ALL) NOPASSWD:ALL
    shell: /bin/bash
    lock_passwd: false
    passwd: $6$salt$hashhashhash
    ssh_authorized_keys:
      - ${KEY}
ssh_authorized_keys:
  - ${KEY}
write_files:
  - path: /etc/motd
    content: |
      welcome
  - path: /etc/app/conf.bin
    encoding: b64
    content: ${Buffer.from(content).toString('base64')}
    permissions: '0600'
    owner: alice:ops
  - path: /etc/app/zipped
    encoding: gz+b64
    content: ${gzipSync(Buffer.from('z')).toString('base64')}
runcmd:
  - echo hi
  - [touch, /var/tmp/x]
berth:
  containers:
    - name: web
      image: docker.io/library/nginx:1.27
      ports: ['8080:80']
      env: {MODE: prod, N: 3}
      restart: always
`,
  );
  assert.equal(seed.hostname, 'node1');
  assert.deepEqual(seed.groups, [{ name: 'ops', members: [] }, { name: 'admins', members: ['root'] }]);
  assert.deepEqual(seed.users.map((u) => u.name), [DEFAULT_USER.name, 'alice']);
  assert.deepEqual(seed.users[0]!.sshAuthorizedKeys, [KEY]);
  const alice = seed.users[1]!;
  assert.deepEqual(alice.groups, ['sudo', 'ops']);
  assert.deepEqual(alice.sudo, ['ALL=(ALL) NOPASSWD:ALL']);
  assert.equal(alice.lockPasswd, false);
  assert.equal(alice.passwd, '$6$salt$hashhashhash');
  assert.deepEqual(seed.files.map((f) => [f.path, Buffer.from(f.content).toString(), f.permissions.toString(8), f.owner, f.group]), [
    ['/etc/motd', 'welcome\n', '644', 'root', 'root'],
    ['/etc/app/conf.bin', content, '600', 'alice', 'ops'],
    ['/etc/app/zipped', 'z', '644', 'root', 'root'],
  ]);
  assert.deepEqual(seed.runcmd, ['echo hi', ['touch', '/var/tmp/x']]);
  assert.deepEqual(seed.containers, [{ name: 'web', image: 'docker.io/library/nginx:1.27', command: [], env: ['MODE=prod', 'N=3'], ports: ['8080:80'], volumes: [], restart: 'always' }]);
});

test('user-data: without users, top-level keys make the default user; hostname falls back to meta-data', () => {
  const seed = parseSeed('instance-id: i\nlocal-hostname: box.example.org\n', `#cloud-config\nssh_authorized_keys: ['${KEY}']\n`);
  assert.equal(seed.hostname, 'box');
  assert.deepEqual(seed.users.map((u) => [u.name, u.lockPasswd, u.sshAuthorizedKeys.length]), [[DEFAULT_USER.name, true, 1]]);
  assert.deepEqual(parseUserData('', { instanceId: 'i' }).users, []);
  assert.deepEqual(parseUserData('#cloud-config\n', { instanceId: 'i' }).users, []);
});

test('malformed user-data: every issue names file, line and key', () => {
  const issues = issuesOf(() =>
    parseUserData(
      `#cloud-config
hostname: not_a_host
users:
  - name: Bad Name
  - name: bob
    passwd: hunter2
    ssh_authorized_keys: ['not a key']
write_files:
  - path: relative/file
  - path: /etc/x
    permissions: 644
package_update: true
berth:
  containers:
    - name: web
      image: nginx
      restart: sometimes
`,
      { instanceId: 'i' },
    ),
  );
  assert.deepEqual(
    issues.map((i) => [i.line, i.key]),
    [
      [2, 'hostname'],
      [4, 'users[0].name'],
      [6, 'users[1].passwd'],
      [7, 'users[1].ssh_authorized_keys[0]'],
      [9, 'write_files[0].path'],
      [11, 'write_files[1].permissions'],
      [12, 'package_update'],
      [17, 'berth.containers[0].restart'],
    ],
  );
  assert.match(issues.find((i) => i.key === 'users[1].passwd')!.message, /plain-text passwords are not accepted/);
  assert.match(issues.find((i) => i.key === 'package_update')!.message, /Unknown key/);
});

test('user-data that is not #cloud-config, duplicates and orphan keys are errors', () => {
  assert.match(issuesOf(() => parseUserData('#!/bin/sh\necho hi\n', { instanceId: 'i' }))[0]!.message, /shell script/);
  assert.match(issuesOf(() => parseUserData('Content-Type: multipart/mixed\n', { instanceId: 'i' }))[0]!.message, /MIME/);
  assert.deepEqual(
    issuesOf(() => parseUserData('#cloud-config\nusers: [{name: a}, {name: a}]\n', { instanceId: 'i' })).map((i) => i.key),
    ['users[1].name'],
  );
  assert.deepEqual(
    issuesOf(() => parseUserData(`#cloud-config\nusers: [{name: a}]\nssh_authorized_keys: ['${KEY}']\n`, { instanceId: 'i' })).map((i) => i.key),
    ['ssh_authorized_keys'],
  );
  assert.deepEqual(
    issuesOf(() => parseUserData('#cloud-config\nwrite_files: [{path: /etc/a}, {path: /etc/a}]\n', { instanceId: 'i' })).map((i) => i.key),
    ['write_files[1].path'],
  );
  assert.deepEqual(issuesOf(() => parseUserData('#cloud-config\nhostname: [\n', { instanceId: 'i' })).map((i) => i.key), ['']);
  assert.deepEqual(
    issuesOf(() => parseUserData('#cloud-config\nwrite_files: [{path: /etc/a, encoding: b64, content: "!!!", append: true}, {path: /etc/b, owner: "a:b:c"}]\n', { instanceId: 'i' })).map((i) => i.key),
    ['write_files[1].owner'],
  );
});
