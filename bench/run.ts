/**
 * `npm run bench`: runs each benchmark in its own process (a backend, once chosen, stays for the
 * process) and prints one JSON object. Extra arguments are passed on, e.g. `-- --backend cpu`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsxCli = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const passOn = process.argv.slice(2);

function runBench(file: string, args: string[]): unknown {
  try {
    const output = execFileSync(process.execPath, [tsxCli, script(file), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 600_000,
    });
    return JSON.parse(output.slice(output.indexOf('{')));
  } catch (error) {
    return { failed: (error as Error).message.split('\n')[0] };
  }
}

// Steps/s of every backend side by side, in this one sitting (webgpu forced: on a machine whose only
// adapter is a software one, auto would skip it; set VK_ICD_FILENAMES as .ci/run does to measure llvmpipe).
const backendSteps = passOn.includes('--steps')
  ? passOn.slice(passOn.indexOf('--steps'), passOn.indexOf('--steps') + 2)
  : [];
const results = {
  backends: Object.fromEntries(
    ['cpu', 'wasm', 'webgpu'].map((name) => [name, runBench('backendSpeed.ts', ['--backend', name, ...backendSteps])]),
  ),
  lenet5Training: runBench('lenet5Training.ts', passOn),
  // Data-parallel scaling, N = 1, 2, 4 interleaved in one sitting (issue 16).
  parallelTraining: runBench('parallelTraining.ts', passOn),
  // One Flipout step by kernel name, and the one-thread times of data-parallel slices (issue 16).
  stepKernels: runBench('stepKernels.ts', passOn),
  convGradients: runBench('convGradients.ts', passOn),
  methodsCore: runBench('methodsCore.ts', passOn),
  methodsTraining: runBench('methodsTraining.ts', passOn),
  methodsMemory: runBench('methodsMemory.ts', passOn),
  shiftEvaluation: runBench('shiftEvaluation.ts', passOn),
  convGradientsTwoWasmThreads: passOn.includes('cpu')
    ? null
    : runBench('convGradients.ts', [...passOn, '--threads', '2']),
  // Serve + Chromium; on the cpu backend its 300 LeNet5 steps would outlast the 10-minute limit.
  uiStreaming: passOn.includes('cpu') ? null : runBench('uiStreaming.ts', passOn),
};
console.log(JSON.stringify(results, null, 2));
