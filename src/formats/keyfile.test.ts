import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostError } from '../core/index.js';
import { KeyFile } from './keyfile.js';

test('KeyFile round-trips comments, blank lines and order byte for byte', () => {
  const text = '# top\n[core]\n# about mode\nrepo_version = 1\nmode=archive-z2\n\n[remote "origin"]\nurl=http://127.0.0.1:1/\ngpg-verify=false\n';
  assert.equal(KeyFile.parse(text).toString(), text);
});

test('KeyFile.setString() changes one line and appends new keys and groups like GKeyFile', () => {
  const kf = KeyFile.parse('[core]\nrepo_version=1\nmode=bare\n');
  kf.setString('core', 'mode', 'bare-user');
  kf.setString('core', 'foo', 'a\tb');
  kf.setString('remote "x"', 'url', 'http://a');
  assert.equal(kf.toString(), '[core]\nrepo_version=1\nmode=bare-user\nfoo=a\\tb\n\n[remote "x"]\nurl=http://a\n');
  assert.equal(kf.getString('core', 'foo'), 'a\tb');
  assert.equal(kf.getInteger('core', 'repo_version'), 1);
  assert.equal(kf.getBoolean('core', 'missing'), undefined);
});

test('KeyFile lists, booleans and errors', () => {
  const kf = KeyFile.parse('[a]\nl=x;y\\;z;w;\nb=true\nbad=maybe\n');
  assert.deepEqual(kf.getStringList('a', 'l'), ['x', 'y;z', 'w']);
  assert.equal(kf.getBoolean('a', 'b'), true);
  assert.throws(() => kf.getBoolean('a', 'bad'), (e: unknown) => isHostError(e) && e.code === 'FORMAT_KEYFILE_BAD_VALUE');
  assert.throws(() => KeyFile.parse('x=1\n'), (e: unknown) => isHostError(e) && e.code === 'FORMAT_KEYFILE_SYNTAX');
  assert.throws(() => KeyFile.parse('[a]\nnot a pair\n'), (e: unknown) => isHostError(e) && e.code === 'FORMAT_KEYFILE_SYNTAX');
  assert.throws(() => kf.requireString('a', 'nope'), (e: unknown) => isHostError(e) && e.code === 'FORMAT_KEYFILE_NOT_FOUND');
  kf.setStringList('a', 'm', ['p', 'q;r']);
  assert.deepEqual(kf.getStringList('a', 'm'), ['p', 'q;r']);
  assert.ok(kf.removeKey('a', 'bad'));
  assert.deepEqual(kf.keys('a'), ['l', 'b', 'm']);
});
