import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSafetensorsFile, readCheckpointFile, saveSafetensorsFile, writeCheckpointFile } from '../../src/io/node/checkpoint-file.js';
import type { TensorData } from '../../src/io/safetensors.js';
import { commitTempFile, tempPathFor, writeFileAtomic } from '../../src/io/node/atomic-write.js';

/** values of any tensor data array, numbers or bigints */
const list = (d: TensorData): (number | bigint)[] => Array.from(d as ArrayLike<number | bigint>);

const tmp = () => mkdtempSync(join(tmpdir(), 'gmgrad-ckpt-'));

describe('atomic checkpoint files', () => {
  it('writes, replaces and reads back, leaving no temporary files', async () => {
    const dir = tmp();
    const path = join(dir, 'run', 'model.safetensors'); // the folder is created
    await writeCheckpointFile(path, Uint8Array.from([1, 2, 3]));
    await writeCheckpointFile(path, Uint8Array.from([4, 5]));
    expect(Array.from(await readCheckpointFile(path))).toEqual([4, 5]);
    expect(readdirSync(join(dir, 'run'))).toEqual(['model.safetensors']);
  });

  it('keeps the old file when the new one never gets committed', async () => {
    const dir = tmp();
    const path = join(dir, 'model.safetensors');
    await writeFileAtomic(path, Uint8Array.from([1]));
    const temp = tempPathFor(path);
    expect(temp.startsWith(join(dir, '.model.safetensors.'))).toBe(true);
    writeFileSync(temp, Uint8Array.from([9, 9])); // a crash here: the real file is untouched
    expect(Array.from(readFileSync(path))).toEqual([1]);
    await commitTempFile(temp, path);
    expect(Array.from(readFileSync(path))).toEqual([9, 9]);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('saves and loads safetensors, and errors name the file', async () => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    await saveSafetensorsFile(path, {
      'fc.weight': { dtype: 'F32', shape: [2], data: Float32Array.from([0.25, -1]) },
      'bn.num_batches_tracked': { dtype: 'I64', shape: [], data: Int32Array.from([100]) },
    }, { epoch: '2' });
    const loaded = await loadSafetensorsFile(path);
    expect(loaded.metadata).toEqual({ epoch: '2' });
    expect(list(loaded.tensors['fc.weight']!.data)).toEqual([0.25, -1]);
    expect(loaded.tensors['bn.num_batches_tracked']!.data).toEqual(Int32Array.from([100]));

    writeFileSync(path, readFileSync(path).subarray(0, 40));
    await expect(loadSafetensorsFile(path)).rejects.toThrow(`${path}: header length`);
    await expect(readCheckpointFile(join(dir, 'nope.safetensors'))).rejects.toThrow(`checkpoint ${join(dir, 'nope.safetensors')} does not exist`);
    await expect(writeCheckpointFile(join(path, 'under-a-file'), new Uint8Array(1))).rejects.toThrow(/cannot write checkpoint .*under-a-file/);
  });
});
