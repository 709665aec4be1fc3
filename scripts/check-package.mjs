// The package as a user gets it: `npm pack` (prepack builds dist/), the tarball's contents checked,
// installed offline into a temporary project, and used there by name:
//   1. test/package/consumer.mjs without the optional `webgpu` package: both entry points, datasets,
//      a training run, checkpoint files, an attack, the report — and nothing on stderr;
//   2. the `gmgrad` command from node_modules/.bin;
//   3. test/package/consumer.ts type-checked with moduleResolution node16 and bundler;
//   4. with `webgpu` present (linked from this checkout): init on WebGPU when an adapter exists, and
//      on a machine without a Vulkan driver (VK_ICD_FILENAMES at nothing) no Dawn warning on stderr;
//   5. every example of examples/, copied into the project, at a small size.
// Needs no network: the tarball has no dependencies. Run from the repository root after `npm ci`:
//   node scripts/check-package.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'gmgrad-package-'));
const failures = [];
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const t0 = performance.now();

// 1. pack and look inside
const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], repo))[0];
const tarball = join(work, packed.filename);
const files = packed.files.map((f) => f.path);
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`packed ${packed.filename}: ${kb(packed.size)} (unpacked ${kb(packed.unpackedSize)}, ${files.length} files)`);
check(files.includes('dist/index.js') && files.includes('dist/node.js') && files.includes('dist/node.d.ts'), 'the tarball has both entry points');
check(files.includes('data/mnist-test/t10k-images-idx3-ubyte.gz'), 'the tarball has the embedded MNIST test split');
const unwanted = files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('shaders/') || f.startsWith('test/'));
check(unwanted.length === 0, `no source maps, sources, shaders or tests in the tarball${unwanted.length ? `: ${unwanted.slice(0, 5).join(', ')}` : ''}`);
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
check(!manifest.dependencies && manifest.peerDependenciesMeta?.webgpu?.optional === true, 'webgpu is an optional peer, nothing else is required');

// 2. a fresh project, the tarball installed offline
const project = join(work, 'project');
mkdirSync(project);
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
npm(['install', '--offline', '--no-audit', '--no-fund', tarball], project);
check(statSync(join(project, 'node_modules', 'gmgrad', 'dist', 'node.js')).isFile(), 'installed offline into a fresh project');
copyFileSync(join(repo, 'test', 'package', 'consumer.mjs'), join(project, 'consumer.mjs'));
copyFileSync(join(repo, 'test', 'package', 'consumer.ts'), join(project, 'consumer.ts'));

const isolated = { ...process.env, GMGRAD_DATA: '', XDG_CACHE_HOME: join(work, 'cache') };
delete isolated.GMGRAD_DATA;
const run = (cmd, args, env = isolated) => spawnSync(cmd, args, { cwd: project, env, encoding: 'utf8' });

const user = run(process.execPath, ['consumer.mjs']);
let result = null;
try { result = JSON.parse(user.stdout.trim().split('\n').at(-1)); } catch { /* reported below */ }
check(user.status === 0 && result !== null, `consumer.mjs ran${user.status === 0 ? '' : `: exit ${user.status}\n${user.stderr}`}`);
if (result) {
  console.log(`     ${JSON.stringify({ ...result, out: undefined })}`);
  check(/not installed: npm install webgpu/.test(result.webgpu), 'without webgpu, init({ backend: \'webgpu\' }) names the install command');
  check(result.dataset.includes(join('node_modules', 'gmgrad', 'data', 'mnist-test')), 'loadDataset found the embedded split inside the package');
  check(result.trainedEpochs === 1 && result.testAccuracy > 0.5, 'trainOnData trained: held-out accuracy well above chance (40 steps)');
  check(result.architecture.model === 'tiny-cnn' && result.reloadedFromRun === 'tiny-cnn', 'saveModel / loadModel and the run\'s checkpoint reload');
  check(result.pgdSuccess > 0 && result.attacks.length === 1 && result.report, 'PGD attacks, evaluateModel and writeReport work');
}
check(user.stderr === '', `the library printed nothing on stderr${user.stderr ? `:\n${user.stderr}` : ''}`);

const cli = run(join(project, 'node_modules', '.bin', 'gmgrad'), ['eval', '--checkpoint', join(result?.out ?? work, 'model.safetensors'), '--limit', '200', '--backend', 'wasm']);
check(cli.status === 0 && /mnist test: accuracy [\d.]+% \(\d+\/200\)/.test(cli.stdout), `the gmgrad command evaluates the checkpoint${cli.status === 0 ? '' : `: ${cli.stderr}`}`);

// 3. the declarations, as TypeScript users resolve them
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
for (const [resolution, module] of [['node16', 'node16'], ['bundler', 'esnext']]) {
  const config = {
    compilerOptions: {
      target: 'ES2022', module, moduleResolution: resolution, strict: true, noEmit: true, skipLibCheck: false,
      lib: ['ES2022'], types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')],
    },
    files: ['consumer.ts'],
  };
  writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify(config, null, 2));
  const r = run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`]);
  check(r.status === 0, `consumer.ts type-checks with moduleResolution ${resolution}${r.status === 0 ? '' : `:\n${r.stdout}${r.stderr}`}`);
}

// 4. with the optional webgpu package (this checkout's copy, linked: no download)
symlinkSync(join(repo, 'node_modules', 'webgpu'), join(project, 'node_modules', 'webgpu'), 'dir');
const probe = 'const g = await import("gmgrad"); const r = await g.init({ backend: process.argv[1] }); console.log(r.description);';
const noDriver = run(process.execPath, ['--input-type=module', '-e', probe, 'auto'], { ...isolated, VK_ICD_FILENAMES: join(work, 'no-such-icd.json') });
check(noDriver.status === 0 && /^wasm .*no WebGPU/.test(noDriver.stdout), `without a Vulkan driver, auto falls back to wasm${noDriver.status === 0 ? '' : `: ${noDriver.stderr}`}`);
check(noDriver.stderr === '', `...and Dawn's driver probing prints nothing${noDriver.stderr ? `:\n${noDriver.stderr}` : ''}`);
const icd = process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
let icdPresent = false;
try { icdPresent = statSync(icd).isFile(); } catch { /* no adapter on this machine */ }
if (icdPresent) {
  const gpu = run(process.execPath, ['--input-type=module', '-e', probe, 'webgpu'], { ...isolated, VK_ICD_FILENAMES: icd });
  check(gpu.status === 0 && /^webgpu \(/.test(gpu.stdout) && gpu.stderr === '', `with webgpu installed, init({ backend: 'webgpu' }) gets an adapter, quietly${gpu.status === 0 ? `: ${gpu.stdout.trim()}` : `: ${gpu.stderr}`}`);
} else {
  console.log(`skip with webgpu installed, on an adapter: no Vulkan driver at ${icd}`);
}

// 5. the examples as a user copies them (they import `gmgrad` and `gmgrad/node` by name), at a small size
const examples = [
  ['quickstart.mjs', ['--steps', '20'], /mean detection score: clean [\d.]+, noisy [\d.]+/],
  ['train-gm.mjs', ['--epochs', '1', '--train-n', '1000', '--out', join(work, 'train-gm')], /held-out accuracy [\d.]+%; wrote .*features\.svg/],
  ['attack-and-detect.mjs', ['--checkpoint', join(work, 'train-gm', 'model.safetensors'), '--n', '40', '--steps', '5'], /Adaptive-PGD +ε=0\.2: fooled [\d.]+%/],
  ['pytorch-weights.mjs', ['--checkpoint', join(repo, 'test', 'io', 'fixtures', 'pytorch', 'tiny-cnn-gm8.safetensors'), '--limit', '1000'], /MNIST test \(1000 images .*\): accuracy 9\d\.\d+%/],
  ['webgpu-adapter.mjs', [], /max \|difference\| from the CPU reference/],
  ['custom-op.mjs', ['--steps', '30'], /30 Adam steps, loss [\d.]+ → [\d.]+/],
];
for (const [file, args, expected] of examples) {
  copyFileSync(join(repo, 'examples', file), join(project, file));
  const t = performance.now();
  const r = run(process.execPath, [file, ...args], { ...isolated, VK_ICD_FILENAMES: icd });
  const ok = r.status === 0 && expected.test(r.stdout);
  check(ok, `examples/${file} ${args.join(' ')} (${((performance.now() - t) / 1000).toFixed(1)} s)${ok ? '' : `:\n${r.stdout}${r.stderr}`}`);
}

rmSync(work, { recursive: true, force: true });
console.log(`${failures.length === 0 ? 'package check passed' : `package check FAILED (${failures.length})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failures.length === 0 ? 0 : 1);
