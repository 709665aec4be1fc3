#!/usr/bin/env node
/** The `gmgrad` executable: run the command line, release the backends' workers, exit with its status. */
import { main } from './cli.js';

const status = await main(process.argv.slice(2));
// worker pools (wasm backend) must not keep the process alive
const { createdBackends } = await import('../core/engine.js');
for (const b of createdBackends()) (b as { dispose?: () => void }).dispose?.();
process.exitCode = status;
