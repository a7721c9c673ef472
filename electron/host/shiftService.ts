/**
 * Dataset shift, host side (Ovadia et al. 2019): asks the training worker — which owns tfjs, shifts
 * the run's held-out images itself (core/shift) and serves the request between training steps —
 * for the Monte Carlo probabilities of every shift level and OOD set, one set per request so other
 * runs' classification is never held up by more than one forward pass, scores them
 * (core/shift/shiftScores) and stores the result once per checkpoint as `runs/<id>/shift.json`
 * through the run store. Knows nothing of transports and loads no tfjs.
 */
import os from 'node:os';
import path from 'node:path';
import {
  SHIFT_DEFAULT_DRAWS,
  SHIFT_EVALUATION_FORMAT,
  SHIFT_IMAGES_PER_SET,
  SHIFT_MAX_DRAWS,
  shiftEvaluationSchema,
  type ShiftEvaluation,
  type ShiftLevelScores,
  type ShiftProgress,
} from '../../core/contract/shift';
import { hasEpistemicPart, runMethodId, type MethodId } from '../../core/methods/index';
import { drawProbabilitiesFromFlat, summarizeDraws } from '../../core/metrics/predictive';
import { SHIFT_KINDS, shiftSpecs, type ShiftKind, type ShiftSpec } from '../../core/shift/shiftSets';
import {
  CONFIDENCE_HISTOGRAM_EDGES,
  CONFIDENCE_THRESHOLDS,
  confidenceSet,
  oodAurocs,
  scoreShiftLevel,
} from '../../core/shift/shiftScores';
import type { OodReplyMessage, OodRequestMessage } from '../worker/messages';
import { OOD_SEED, OodServiceError, prepareImageRun, type OodServiceOptions, type PreparedRun } from './oodService';
import { assertIdxImageSize } from './idxImageSize';
import { oodReferenceSets, type ReferenceSet } from './oodReferenceSets';

const shiftFile = 'shift.json';

export interface ShiftServiceOptions {
  runs: OodServiceOptions['runs'];
  store: OodServiceOptions['store'];
  referenceSets?: OodServiceOptions['referenceSets'];
  warn?(message: string): void;
  /** Held-out images per shift level (the benchmark and the app use 1,000; tests fewer). */
  imagesPerSet?: number;
  /** Which shift kinds to score (all three by default). */
  kinds?: readonly ShiftKind[];
  /** Threads sharing the posterior draws in the worker (defaultEvaluationWorkers() when not given). */
  workers?: number;
}

/** Where an evaluation's time went, ms: the worker's parts summed over its requests, and the host's. */
export interface ShiftTimings {
  workers: number;
  /** Host: checking the run, loading the OOD reference sets. */
  prepareMs: number;
  /** Worker: requests waiting behind other work (interactive requests, a training run's steps). */
  queuedMs: number;
  /** Worker: rebuilding the network from the checkpoint (once per evaluation: it is cached). */
  networkMs: number;
  /** Worker: loading the held-out images and shifting them. */
  setsMs: number;
  /** Worker: starting the helper threads (once; they stay for a minute). */
  helpersStartMs: number;
  /** Worker thread's own forward passes. */
  localForwardMs: number;
  /** Worker thread waiting for helpers' last draws of a set. */
  waitMs: number;
  localDraws: number;
  helperDraws: number;
  retriedDraws: number;
  /** Host: scores, AUROCs and figure-3 data from the probabilities. */
  scoringMs: number;
  /** Host: writing shift.json. */
  writeMs: number;
}

/**
 * Threads for an evaluation when none is asked for: the machine's cores (as Node counts them), at
 * most 4, and no more than free memory allows at ≈ 512 MB per thread (one wasm instance and its sets).
 */
export function defaultEvaluationWorkers(): number {
  const byMemory = Math.floor(os.freemem() / (512 * 1024 * 1024));
  return Math.max(1, Math.min(os.availableParallelism(), 4, byMemory));
}

export interface ShiftEvaluationOptions {
  draws?: number;
  /** Threads sharing the draws (overrides the service's setting). */
  workers?: number;
  /** Called once, after a computed (not a stored) evaluation, with where its time went. */
  onTimings?(timings: ShiftTimings): void;
  /** Compute again even when shift.json is current. */
  force?: boolean;
  onProgress?(progress: ShiftProgress): void;
}

type RequestSet = OodRequestMessage['sets'][number];

export class ShiftService {
  private readonly evaluations = new Map<string, Promise<ShiftEvaluation>>();
  private readonly progress = new Map<string, ShiftProgress>();

  constructor(private readonly options: ShiftServiceOptions) {}

  /**
   * The run's shift evaluation: the stored one when it is of the current checkpoint with the same
   * draws, else computed (one at a time per run) and stored as shift.json.
   */
  evaluateShift(runId: string, options: ShiftEvaluationOptions = {}): Promise<ShiftEvaluation> {
    const draws = options.draws ?? SHIFT_DEFAULT_DRAWS;
    if (!Number.isInteger(draws) || draws < 1 || draws > SHIFT_MAX_DRAWS) {
      return Promise.reject(
        new OodServiceError(
          `The number of draws must be a whole number from 1 to ${SHIFT_MAX_DRAWS}; ${draws} was given.`,
        ),
      );
    }
    let evaluation = this.evaluations.get(runId);
    if (!evaluation) {
      evaluation = this.storedOrComputed(runId, draws, options).finally(() => {
        this.evaluations.delete(runId);
        this.progress.delete(runId);
      });
      this.evaluations.set(runId, evaluation);
    }
    return evaluation;
  }

  /** How far the run's evaluation in progress is; null when none is. */
  getShiftProgress(runId: string): ShiftProgress | null {
    return this.progress.get(runId) ?? null;
  }

  async getShiftEvaluation(runId: string): Promise<ShiftEvaluation | null> {
    await this.options.runs.getRun(runId); // an unknown run gets the store's "no such run"
    const bytes = await this.options.store.readRunFile(runId, shiftFile);
    if (!bytes) return null;
    const parsed = shiftEvaluationSchema.safeParse(safeJson(bytes.toString('utf8')));
    if (!parsed.success) {
      this.options.warn?.(
        `${path.join(this.options.store.runDir(runId), shiftFile)} is not a valid shift evaluation and was ignored; run "Evaluate shift" again to replace it.`,
      );
      return null;
    }
    return parsed.data;
  }

  private async storedOrComputed(
    runId: string,
    draws: number,
    options: ShiftEvaluationOptions,
  ): Promise<ShiftEvaluation> {
    const run = await prepareImageRun(this.options, runId);
    if (!options.force) {
      const stored = await this.getShiftEvaluation(runId);
      if (stored && stored.checkpointStep === run.checkpoint.step && stored.draws === draws) return stored;
    }
    // Its IDX folder rewritten since training with images of another size: said before the worker loads it.
    await assertIdxImageSize(run.config, `the held-out images of run "${runId}" cannot be shifted and scored`);
    return this.compute(run, draws, options);
  }

  private async compute(run: PreparedRun, draws: number, options: ShiftEvaluationOptions): Promise<ShiftEvaluation> {
    const { onProgress } = options;
    const started = performance.now();
    const runId = run.record.id;
    const workers = options.workers ?? this.options.workers ?? defaultEvaluationWorkers();
    const timings: ShiftTimings = {
      workers,
      prepareMs: 0,
      queuedMs: 0,
      networkMs: 0,
      setsMs: 0,
      helpersStartMs: 0,
      localForwardMs: 0,
      waitMs: 0,
      localDraws: 0,
      helperDraws: 0,
      retriedDraws: 0,
      scoringMs: 0,
      writeMs: 0,
    };
    const addWorkerTimings = (part: OodReplyMessage['timings']) => {
      if (!part) return;
      timings.queuedMs += part.queuedMs;
      timings.networkMs += part.networkMs;
      timings.setsMs += part.setsMs;
      timings.helpersStartMs += part.helpersStartMs;
      timings.localForwardMs += part.localMs;
      timings.waitMs += part.waitMs;
      timings.localDraws += part.localDraws;
      timings.helperDraws += part.helperDraws;
      timings.retriedDraws += part.retriedDraws;
    };
    const scoring = <T>(score: () => T): T => {
      const began = performance.now();
      try {
        return score();
      } finally {
        timings.scoringMs += performance.now() - began;
      }
    };
    const limit = this.options.imagesPerSet ?? SHIFT_IMAGES_PER_SET;
    const epistemicPart = hasEpistemicPart(methodOf(run.config));
    const { sets: referenceSets, skipped } = await (this.options.referenceSets ?? oodReferenceSets)();
    for (const reason of skipped) this.options.warn?.(`The shift evaluation of run "${runId}" leaves out ${reason}.`);
    const oodSets = this.oodSetsFor(run, referenceSets, limit);
    const specs: ShiftSpec[] = shiftSpecs(this.options.kinds ?? SHIFT_KINDS);
    timings.prepareMs = performance.now() - started;
    const total = 1 + specs.length + oodSets.length;
    let done = 0;
    let backend = 'unknown';
    let checkpointStep = run.checkpoint.step;
    const report = (current: string) => {
      const progress = { runId, done, total, current };
      this.progress.set(runId, progress);
      onProgress?.(progress);
    };
    const classify = async (set: RequestSet) => {
      report(set.name);
      const reply = await this.options.runs.requestClassification({
        type: 'ood',
        runId,
        config: run.config,
        network: { runDir: run.runDir, step: run.checkpoint.step, checksum: run.checkpoint.valueChecksum },
        draws,
        seed: OOD_SEED,
        priority: 'batch',
        workers,
        sets: [set],
      });
      addWorkerTimings(reply.timings);
      if (!reply.ok || !reply.sets?.[0]) {
        throw new OodServiceError(
          `The training worker could not evaluate "${set.name}" for run "${runId}": ${reply.error ?? 'no result'}`,
        );
      }
      backend = reply.backend ?? backend;
      checkpointStep = reply.checkpointStep ?? checkpointStep;
      done += 1;
      const result = reply.sets[0];
      // A method with a fixed number of passes (an ensemble's members) answers with that many draws.
      const passes = result.probabilities.length / (result.count * result.classes);
      return {
        probabilities: scoring(() =>
          drawProbabilitiesFromFlat(result.probabilities, [passes, result.count, result.classes]),
        ),
        labels: result.labels,
      };
    };

    const unshifted = await classify({ name: 'Held-out, unshifted', source: 'heldout', limit });
    if (!unshifted.labels) throw new OodServiceError(`The training worker sent no labels for run "${runId}".`);
    const unshiftedLabels = unshifted.labels;
    const base = scoring(() => scoreShiftLevel(0, unshifted.probabilities, unshiftedLabels, epistemicPart));
    const levels: Record<ShiftKind, ShiftLevelScores[]> = { rotation: [], roll: [], translation: [] };
    for (const kind of this.options.kinds ?? SHIFT_KINDS) levels[kind].push(base.scores);
    for (const spec of specs) {
      const shifted = await classify({ name: shiftName(spec), source: 'heldout', limit, shift: spec });
      levels[spec.kind].push(
        scoring(() => scoreShiftLevel(spec.level, shifted.probabilities, shifted.labels!, epistemicPart)).scores,
      );
    }

    const heldoutName = `Held-out (${run.config.dataset})`;
    const confidenceSets = [scoring(() => confidenceSet(heldoutName, 'heldout', base.summary, unshiftedLabels))];
    const ood: ShiftEvaluation['ood'] = [];
    for (const set of oodSets) {
      const result = await classify(set.request);
      // Any labels a dataset set carries are of another task: only the predictive is scored.
      scoring(() => {
        const summary = summarizeDraws(result.probabilities);
        ood.push({
          name: set.request.name,
          description: set.description,
          count: summary.count,
          auroc: oodAurocs(base.summary, summary, base.epistemic),
        });
        confidenceSets.push(confidenceSet(set.request.name, 'ood', summary, null));
      });
    }
    report('done');

    const evaluation = shiftEvaluationSchema.parse({
      format: SHIFT_EVALUATION_FORMAT,
      runId,
      checkpointStep,
      draws,
      seed: OOD_SEED,
      createdAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
      backend,
      dataset: run.config.dataset,
      imagesPerSet: base.scores.count,
      levels,
      ood,
      confidence: {
        thresholds: [...CONFIDENCE_THRESHOLDS],
        histogramEdges: [...CONFIDENCE_HISTOGRAM_EDGES],
        sets: confidenceSets,
      },
    } satisfies ShiftEvaluation);
    const writing = performance.now();
    await this.options.store.writeRunFile(runId, shiftFile, `${JSON.stringify(evaluation)}\n`);
    timings.writeMs = performance.now() - writing;
    options.onTimings?.(timings);
    return evaluation;
  }

  /**
   * The OOD sets at zero shift: the reference sets (Fashion-MNIST, letters, noises), with MNIST's
   * held-out digits standing in for Fashion-MNIST when the run trained on Fashion-MNIST.
   */
  private oodSetsFor(
    run: PreparedRun,
    referenceSets: ReferenceSet[],
    limit: number,
  ): { request: RequestSet; description: string }[] {
    const trainedOnFashion = run.config.dataset === 'fashion-mnist';
    const sets: { request: RequestSet; description: string }[] = referenceSets
      .filter((set) => !(trainedOnFashion && set.name === 'Fashion-MNIST'))
      .map((set) => {
        const count = Math.min(set.count, limit);
        return {
          request: {
            name: set.name,
            source: 'pixels' as const,
            count,
            images: set.images.slice(0, count * (set.images.length / set.count)),
          },
          description: set.description,
        };
      });
    if (trainedOnFashion) {
      sets.unshift({
        request: { name: 'MNIST', source: 'heldout', dataset: 'mnist', limit },
        description: `The first ${limit} held-out digits of the bundled MNIST split.`,
      });
    }
    return sets;
  }
}

function shiftName(spec: ShiftSpec): string {
  return spec.kind === 'rotation'
    ? `Rotation ${spec.level}°`
    : spec.kind === 'roll'
      ? `Roll ${spec.level} px`
      : `Padded translation ${spec.level} px`;
}

/**
 * The run's method: configurations name one once methods are wired into training (another branch);
 * until then, and for runs stored before, a run is mean-field VI.
 */
function methodOf(config: PreparedRun['config']): MethodId {
  return runMethodId((config as { method?: unknown }).method);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
