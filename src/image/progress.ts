/**
 * Progress as Docker's JSON message stream carries it (`POST /images/create`, `/images/{name}/push`):
 * the API daemon writes these objects as they are, the CLI renders them as docker does.
 */
export interface ProgressMessage {
  readonly status: string;
  readonly id?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly aux?: Readonly<Record<string, unknown>>;
}

export type ProgressSink = (message: ProgressMessage) => void;

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Calls `fn` in order for each item with at most `limit` running at once. */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
