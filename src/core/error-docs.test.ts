import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Codes are API: each one declared in product code is listed once in docs/errors.md with its kind, and the
// list names no code that does not exist (fastify's parity check).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFINE_REGEXP = /defineError(?:<[\s\S]*?>)?\(\s*'([A-Z][A-Z0-9_]+)',\s*'([a-z-]+)'/g;
// Test helpers (testing/, testing.ts, test-*.ts) may declare codes of their own; those are not API.
const TEST_HELPER_REGEXP = /(^|\/)(testing(\/|\.ts$)|test-[^/]*$)/;
const DOC_REGEXP = /^- `([A-Z][A-Z0-9_]+)` \(([a-z-]+)\)/gm;

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !TEST_HELPER_REGEXP.test(p)) yield p;
  }
}

function declared(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sources(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(DEFINE_REGEXP)) {
      if (file.endsWith('core/errors.ts') && m[1] === 'REPO_INVALID_REF') continue; // the doc comment's example
      assert.ok(!codes.has(m[1]!), `${m[1]} is declared twice`);
      codes.set(m[1]!, m[2]!);
    }
  }
  return codes;
}

test('every declared error code is documented in docs/errors.md with its kind, and only those', () => {
  const codes = declared();
  const doc = new Map<string, string>();
  for (const m of readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').matchAll(DOC_REGEXP)) {
    assert.ok(!doc.has(m[1]!), `${m[1]} is listed twice in docs/errors.md`);
    doc.set(m[1]!, m[2]!);
  }
  const undocumented = [...codes.keys()].filter((c) => !doc.has(c)).sort();
  const stale = [...doc.keys()].filter((c) => !codes.has(c)).sort();
  const wrongKind = [...codes].filter(([c, k]) => doc.has(c) && doc.get(c) !== k).map(([c]) => c);
  assert.deepEqual({ undocumented, stale, wrongKind }, { undocumented: [], stale: [], wrongKind: [] });
  assert.ok(codes.size > 0);
});
