/** The checkpoint section: export the current model, import one written by `gmgrad train` or this page. */
import type { App } from './app.js';
import { downloadBytes, exportCheckpoint, importCheckpoint } from './checkpoint-io.js';
import { byId, errorMessage } from './dom.js';
import { showStatus } from './status.js';

export class CheckpointPanel {
  constructor(readonly app: App) {
    byId('export-button').addEventListener('click', () => void this.#export());
    const input = byId<HTMLInputElement>('import-input');
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void this.#importFile(file).finally(() => { input.value = ''; });
    });
  }

  enable(): void {
    byId<HTMLButtonElement>('export-button').disabled = false;
    byId<HTMLInputElement>('import-input').disabled = false;
  }

  async exportBytes(): Promise<Uint8Array> {
    return this.app.lock.run(() => exportCheckpoint(this.app.session, this.app.backend.description));
  }

  async #export(): Promise<void> {
    try {
      const bytes = await this.exportBytes();
      downloadBytes(bytes, 'model.safetensors');
      byId('checkpoint-line').textContent = `Exported ${(bytes.length / 1024).toFixed(0)} KiB after ${this.app.session.steps} steps.`;
    } catch (e) {
      showStatus(`Export failed: ${errorMessage(e)}`, true);
    }
  }

  async importBytes(bytes: Uint8Array, name: string): Promise<string> {
    const line = await this.app.lock.run(async () => importCheckpoint(this.app.session, bytes, name));
    this.app.lastProbe = null;
    this.app.lastAttack = null;
    this.app.threshold.clear();
    this.app.modelChanged();
    byId('checkpoint-line').textContent = `Loaded ${line}`;
    showStatus(`Loaded ${line}`);
    return line;
  }

  async #importFile(file: File): Promise<void> {
    try {
      await this.importBytes(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (e) {
      showStatus(`Import failed: ${errorMessage(e)}`, true);
    }
  }
}
