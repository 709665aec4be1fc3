/** Where a command writes: injected, so the CLI runs in-process in tests with captured output. */

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIO {
  /** results (tables, JSON) */
  stdout: OutStream;
  /** progress, notes and errors */
  stderr: OutStream;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr };
}

export const say = (stream: OutStream, line: string): void => { stream.write(`${line}\n`); };
