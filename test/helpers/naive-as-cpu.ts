/** For vitest.naive.config.ts: the naive backend stands in for the CPU backend, under its name. */
import { NaiveBackend } from './naive-backend.js';

export class CpuBackend extends NaiveBackend {
  override readonly name: string = 'cpu';
}
