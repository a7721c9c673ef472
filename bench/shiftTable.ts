/**
 * `npx tsx bench/shiftTable.ts FILE.json...`: the issue-12 shift table over seeds from the JSON that
 * `npm run evaluate -- shift --run RUNDIR --json` prints (one file per seed): accuracy, NLL, Brier,
 * ECE and mean predictive entropy at rotations 0°, 30°, 60°, 90°, 180° and rolls 2, 6, 14 px, as
 * mean ± std over the files (sample std, n − 1; a single file shows its value), and the OOD AUROC
 * per set and score. Also checks the issue's qualitative claims on the means and says which hold.
 *
 * Prints a Markdown table on stderr and one JSON object on stdout.
 */
import { readFileSync } from 'node:fs';

interface Row {
  degrees?: number;
  pixels?: number;
  accuracy: number;
  nll: number;
  brier: number;
  ece: number;
  meanEntropy: number;
}

interface ShiftJson {
  runId: string;
  checkpointStep: number;
  draws: number;
  imagesPerSet: number;
  rotation: Row[];
  roll: Row[];
  ood: Record<string, { predictiveEntropy: number; maxProbability: number; mutualInformation: number | null }>;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('Usage: npx tsx bench/shiftTable.ts SHIFT.json... (the output of `npm run evaluate -- shift --json`)');
  process.exit(2);
}
const evaluations: ShiftJson[] = files.map((file) => {
  const text = readFileSync(file, 'utf8');
  return JSON.parse(text.slice(text.indexOf('{'))) as ShiftJson;
});

const LEVELS = [
  ...[0, 30, 60, 90, 180].map((level) => ({ kind: 'rotation' as const, level, label: `rotation ${level}°` })),
  ...[2, 6, 14].map((level) => ({ kind: 'roll' as const, level, label: `roll ${level} px` })),
];
const METRICS = ['accuracy', 'nll', 'brier', 'ece', 'meanEntropy'] as const;
type Metric = (typeof METRICS)[number];

function meanStd(values: number[]): { mean: number; std: number | null; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, std, n };
}

function rowAt(evaluation: ShiftJson, kind: 'rotation' | 'roll', level: number): Row {
  const rows = evaluation[kind];
  const row = rows.find((candidate) => (kind === 'rotation' ? candidate.degrees : candidate.pixels) === level);
  if (!row) throw new Error(`${evaluation.runId} has no ${kind} level ${level}.`);
  return row;
}

const table = LEVELS.map(({ kind, level, label }) => ({
  shift: label,
  ...Object.fromEntries(
    METRICS.map((metric) => [metric, meanStd(evaluations.map((evaluation) => rowAt(evaluation, kind, level)[metric]))]),
  ),
})) as ({ shift: string } & Record<Metric, ReturnType<typeof meanStd>>)[];

const oodSets = Object.keys(evaluations[0].ood);
const ood = oodSets.map((name) => ({
  set: name,
  predictiveEntropy: meanStd(evaluations.map((evaluation) => evaluation.ood[name].predictiveEntropy)),
  maxProbability: meanStd(evaluations.map((evaluation) => evaluation.ood[name].maxProbability)),
  mutualInformation: evaluations.every((evaluation) => evaluation.ood[name].mutualInformation !== null)
    ? meanStd(evaluations.map((evaluation) => evaluation.ood[name].mutualInformation!))
    : null,
}));

// The issue's claims, on the means over seeds.
const at = (label: string, metric: Metric) => table.find((row) => row.shift === label)![metric].mean;
const rotationMeans = (metric: Metric) =>
  evaluations[0].rotation.map((_, i) => meanStd(evaluations.map((evaluation) => evaluation.rotation[i][metric])).mean);
const beyond90 = evaluations[0].rotation
  .map((row, i) => ({ degrees: row.degrees!, accuracy: rotationMeans('accuracy')[i] }))
  .filter((row) => row.degrees > 90);
const claims = {
  accuracyFallsTo60:
    at('rotation 0°', 'accuracy') > at('rotation 30°', 'accuracy') &&
    at('rotation 30°', 'accuracy') > at('rotation 60°', 'accuracy'),
  /** "Far from its unshifted value": every level beyond 90° at most half the unshifted accuracy. */
  accuracyFarBelowBeyond90: beyond90.every((row) => row.accuracy <= at('rotation 0°', 'accuracy') / 2),
  maxAccuracyBeyond90: Math.max(...beyond90.map((row) => row.accuracy)),
  accuracyAt180: at('rotation 180°', 'accuracy'),
  eceRisesWithRotation:
    at('rotation 60°', 'ece') > at('rotation 0°', 'ece') && at('rotation 180°', 'ece') > at('rotation 0°', 'ece'),
  eceRisesWithRoll:
    at('roll 6 px', 'ece') > at('rotation 0°', 'ece') && at('roll 14 px', 'ece') > at('rotation 0°', 'ece'),
  entropyRisesWithRotation:
    at('rotation 60°', 'meanEntropy') > at('rotation 0°', 'meanEntropy') &&
    at('rotation 180°', 'meanEntropy') > at('rotation 0°', 'meanEntropy'),
  entropyRisesWithRoll:
    at('roll 6 px', 'meanEntropy') > at('rotation 0°', 'meanEntropy') &&
    at('roll 14 px', 'meanEntropy') > at('rotation 0°', 'meanEntropy'),
};

const format = (value: { mean: number; std: number | null }, scale = 1, digits = 3) =>
  value.std === null
    ? (value.mean * scale).toFixed(digits)
    : `${(value.mean * scale).toFixed(digits)} ± ${(value.std * scale).toFixed(digits)}`;
const lines = [
  `Shift table, ${evaluations.length} run(s): ${evaluations.map((e) => `${e.runId} (step ${e.checkpointStep})`).join(', ')}; T = ${evaluations[0].draws}, ${evaluations[0].imagesPerSet} images per level`,
  '',
  '| shift | accuracy (%) | NLL | Brier | ECE | mean entropy |',
  '|---|---|---|---|---|---|',
  ...table.map(
    (row) =>
      `| ${row.shift} | ${format(row.accuracy, 100, 1)} | ${format(row.nll)} | ${format(row.brier)} | ${format(row.ece)} | ${format(row.meanEntropy)} |`,
  ),
  '',
  '| OOD set | AUROC entropy | AUROC max p̄ | AUROC MI |',
  '|---|---|---|---|',
  ...ood.map(
    (row) =>
      `| ${row.set} | ${format(row.predictiveEntropy)} | ${format(row.maxProbability)} | ${row.mutualInformation ? format(row.mutualInformation) : 'n/a'} |`,
  ),
];
console.error(lines.join('\n'));
console.log(JSON.stringify({ runs: evaluations.map((e) => e.runId), table, ood, claims }));
