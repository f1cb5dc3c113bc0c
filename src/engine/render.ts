/** Human wording shared by the CLI and the API: go-units' HumanDuration lives with the Docker formats. */
export { humanDuration } from '../formats/docker/index.js';
