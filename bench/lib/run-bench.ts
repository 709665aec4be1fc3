/**
 * Runs a benchmark's main and exits: 0, or the exit code main set (1: an agreement check failed),
 * or 2 on a harness error (printed). Exiting explicitly stops the worker threads and GPU devices.
 */
export function runBench(main: () => Promise<void>): void {
  main().then(() => process.exit(process.exitCode ?? 0), (e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(2);
  });
}
