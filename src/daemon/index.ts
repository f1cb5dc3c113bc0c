/**
 * berthd's entry point lives in ./bin.ts (`bin/berthd`). The daemon itself is the `berth daemon` verb
 * (src/cli/daemon*.ts): the CLI may import every library subsystem, and nothing imports this folder.
 */
export {};
