/**
 * The models committed in weights/: every manifest entry's file matches its sha256 and size, and
 * `gmgrad eval --pretrained NAME` reproduces its recorded accuracy on the official MNIST test set
 * (embedded in the package, so this runs in a bare clone).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUIET } from '../cli/helpers.js';
import { PACKAGE_WEIGHTS_DIR, readManifest } from '../../src/io/node/released-weights.js';
import { sha256Hex } from '../../src/io/weights-manifest.js';
import { evalCommand } from '../../src/cli/eval-command.js';

const EMBEDDED_MNIST = fileURLToPath(new URL('../../data/mnist-test/', import.meta.url));
const released = readManifest(PACKAGE_WEIGHTS_DIR).checkpoints;

describe('the released paper models', () => {
  it('are listed with their files', async () => {
    for (const entry of released) {
      const bytes = readFileSync(join(PACKAGE_WEIGHTS_DIR, entry.file));
      expect(bytes.length, entry.name).toBe(entry.bytes);
      expect(await sha256Hex(bytes), entry.name).toBe(entry.sha256);
    }
  });

  for (const entry of released.filter((e) => e.dataset === 'mnist')) {
    it(`${entry.name}: eval --pretrained reproduces ${(100 * entry.testAccuracy).toFixed(2)} % on the ${entry.testImages} test images`, async () => {
      const r = (await evalCommand(['--pretrained', entry.name, '--data', EMBEDDED_MNIST, '--backend', 'wasm'], QUIET))!;
      expect(r.n).toBe(entry.testImages);
      expect(r.accuracy).toBe(entry.testAccuracy);
    }, 180_000);
  }
});
