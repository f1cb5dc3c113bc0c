// Helpers for tests only (imported from *.test.ts files; never from product code).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { which } from './exec.js';

/**
 * True when every tool is on PATH. Otherwise the test is skipped with the reason, or, when
 * BERTH_REQUIRE_TOOLS=1 (CI), fails: in CI a missing peer is a broken setup, not a pass.
 */
export async function needTools(t: TestContext, ...tools: string[]): Promise<boolean> {
  const missing: string[] = [];
  for (const tool of tools) if ((await which(tool)) === undefined) missing.push(tool);
  if (missing.length === 0) return true;
  const reason = `needs ${missing.join(', ')} on PATH`;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error(`Required tool missing: ${reason}`);
  t.skip(reason);
  return false;
}

/** True when running as root; otherwise skips (or fails under BERTH_REQUIRE_TOOLS=1). */
export function needRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Test needs root');
  t.skip('needs root');
  return false;
}

/** A fresh temp dir removed after the test (registered with t.after). */
export async function tempDir(t: TestContext, prefix = 'berth-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
