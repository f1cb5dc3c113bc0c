/** Everything a command may touch, injected so commands run in-process under tests. */
export interface CommandContext {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export type CommandHandler = (argv: readonly string[], ctx: CommandContext) => Promise<number>;

export function processContext(): CommandContext {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
