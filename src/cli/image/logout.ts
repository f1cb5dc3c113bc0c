export { runLogout as run } from './login.js';
