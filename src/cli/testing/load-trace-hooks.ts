// Module loader hooks (run on Node's loader thread): every URL the ESM loader loads is appended to a file, one per
// line. Registered by load-trace.ts; tests and bench/startup.mjs use it to see what a CLI verb pulls in.
import { appendFileSync } from 'node:fs';

let file: string | undefined;

export function initialize(data: { file?: string } | undefined): void {
  file = data?.file;
}

type NextLoad = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<unknown> {
  if (file !== undefined) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
