export { main } from './main.js';
export type { CommandContext, CommandHandler } from './context.js';
