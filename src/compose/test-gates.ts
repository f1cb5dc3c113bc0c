// Test-only gates for compose tests (mirrors core/test-support.ts, which check-layers does not
// let other folders import directly): skip, or fail under BERTH_REQUIRE_TOOLS=1, when a peer is missing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { which } from '../core/index.js';

export async function needTools(t: TestContext, ...tools: string[]): Promise<boolean> {
  const missing: string[] = [];
  for (const tool of tools) if ((await which(tool)) === undefined) missing.push(tool);
  if (missing.length === 0) return true;
  const reason = `needs ${missing.join(', ')} on PATH`;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error(`Required tool missing: ${reason}`);
  t.skip(reason);
  return false;
}

export function needRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Test needs root');
  t.skip('needs root');
  return false;
}

export async function tempDir(t: TestContext, prefix = 'berth-compose-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
