import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exec, which } from '../core/index.js';
import { jsonToGVariantText, pkglistToGVariantText, quoteGVariantString } from './gvariant-text.js';

// GLib's own parser (python3-gi through /usr/bin/python3) is the oracle: it must read our text
// back as the intended type and value.
async function glibParse(text: string): Promise<{ type: string; value: unknown }> {
  const py = 'import sys, json\nfrom gi.repository import GLib\nv = GLib.Variant.parse(None, sys.stdin.read(), None, None)\nprint(json.dumps({"type": v.get_type_string(), "value": v.unpack()}))';
  const r = await exec(['/usr/bin/python3', '-c', py], { input: text });
  return JSON.parse(r.stdout.toString()) as { type: string; value: unknown };
}

async function haveGlib(): Promise<boolean> {
  if ((await which('python3')) === undefined) return false;
  return (await exec(['/usr/bin/python3', '-c', 'from gi.repository import GLib'], { check: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
}

test('GVariant text from compose parses in GLib as the intended types', async (t) => {
  if (!(await haveGlib())) {
    if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Required: python3-gi');
    t.skip('needs python3-gi');
    return;
  }
  const tricky = 'quote " back\\ tab\t nl\n ctl\u0001 ünï';
  assert.deepEqual(await glibParse(quoteGVariantString(tricky)), { type: 's', value: tricky });
  assert.deepEqual(await glibParse(jsonToGVariantText(['a', 'b'])), { type: 'as', value: ['a', 'b'] });
  assert.deepEqual(await glibParse(jsonToGVariantText([])), { type: 'as', value: [] });
  assert.deepEqual(await glibParse(jsonToGVariantText(42)), { type: 'x', value: 42 });
  assert.deepEqual(await glibParse(jsonToGVariantText(true)), { type: 'b', value: true });
  assert.deepEqual(await glibParse(jsonToGVariantText({ k: 'v', n: 1.5 })), { type: 'a{sv}', value: { k: 'v', n: 1.5 } });
  const pkgs = [{ name: 'bash', epoch: 0, version: '5.2.37', release: '2+b5', arch: 'amd64' }, { name: 'x', epoch: 1, version: '2', release: '', arch: 'all' }];
  assert.deepEqual(await glibParse(pkglistToGVariantText(pkgs)), { type: 'a(stsss)', value: [['bash', 0, '5.2.37', '2+b5', 'amd64'], ['x', 1, '2', '', 'all']] });
  assert.deepEqual(await glibParse(pkglistToGVariantText([])), { type: 'a(stsss)', value: [] });
});
