import { defineConfig } from 'vitest/config';
import { mkdirSync, chmodSync } from 'node:fs';

// WebGPU through Dawn on SwiftShader needs a Vulkan ICD and a private runtime dir.
const xdg = process.env.XDG_RUNTIME_DIR ?? '/tmp/gmgrad-xdg';
mkdirSync(xdg, { recursive: true });
chmodSync(xdg, 0o700);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: {
      VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json',
      XDG_RUNTIME_DIR: xdg,
    },
  },
});
