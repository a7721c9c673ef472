/**
 * Out-of-distribution images, host side: decodes image files — every shell's, by one path: bytes
 * (sent by the renderer, or read from a path Electron's user dropped or picked, or the CLI's
 * arguments) through sharp (./imageFiles) — preprocesses them (core/ood/preprocess), asks the
 * training worker — which owns tfjs and serves the request between training steps — for the Monte
 * Carlo probabilities, and turns them into verdicts (core/ood/verdict). Evaluations are stored as
 * `runs/<id>/ood.json`. Knows nothing of transports.
 *
 * The network is always the run's stored checkpoint: a running run's latest, a finished run's final
 * one — never the variables being trained. The host only reads its manifest (step and checksum) and
 * names it to the worker, which keeps or loads the network itself: no parameters cross for inference.
 */
import path from 'node:path';
import {
  classifyOptionsSchema,
  OOD_DEFAULT_DRAWS,
  OOD_EVALUATION_FORMAT,
  OOD_MAX_IMAGE_PIXELS,
  oodEvaluationSchema,
  type ClassifiedImage,
  type ClassifyOptionsInput,
  type ClassifyResult,
  type DecodedImageInput,
  type ImageFileBytes,
  type OodEvaluation,
  type OodGallerySet,
  type ThresholdCalibration,
} from '../../core/contract/ood';
import type { Lenet5Config } from '../../core/contract/runConfig';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { classifiesImages } from '../../core/experiments/registry';
import { PIXELS_PER_IMAGE } from '../../core/data/dataset';
import { drawProbabilitiesFromFlat, summarizeDraws } from '../../core/metrics/predictive';
import { hasEpistemicPart } from '../../core/methods/index';
import { epistemicAvailability } from '../../core/scoring/classificationScores';
import { preprocessImage, type DecodedImage } from '../../core/ood/preprocess';
import {
  calibrateRefusalThreshold,
  CALIBRATION_ACCEPT_FRACTION,
  drawRowsOf,
  evaluateOodSets,
  verdictsFromDraws,
} from '../../core/ood/verdict';
import type { CheckpointManifest } from '../../core/training/checkpoint';
import type { OodReplyMessage, OodRequestMessage } from '../worker/messages';
import { readCheckpointManifest } from './checkpointFiles';
import { decodeImageBytes, decodeImageFile, type DecodedImageFile } from './imageFiles';
import { oodGallery } from './oodGallery';
import { oodReferenceSets, type ReferenceSet } from './oodReferenceSets';

export class OodServiceError extends Error {
  override name = 'OodServiceError';
}

/** Posterior draws are seeded, so the same image gets the same verdict, and every run the same draws' seeds. */
export const OOD_SEED = 7;
/** Images per request to the worker: a few forward passes between two training steps. */
const IMAGES_PER_REQUEST = 64;
/** Files decoded at once: memory stays bounded however many are dropped. */
const FILES_DECODED_AT_ONCE = 4;
const oodFile = 'ood.json';

export interface OodServiceOptions {
  runs: {
    getRun(id: string): Promise<RunRecord>;
    requestClassification(message: Omit<OodRequestMessage, 'requestId'>): Promise<OodReplyMessage>;
  };
  store: {
    runDir(id: string): string;
    /** ood.json goes through the run store: atomically, in the run's write queue, never through a link. */
    writeRunFile(id: string, name: string, bytes: string | Uint8Array): Promise<void>;
    /** Bounded and never through a link; null when the run has no such file. */
    readRunFile(id: string, name: string): Promise<Buffer | null>;
  };
  /** The OOD sets of an evaluation (tests pass small ones). */
  referenceSets?: () => Promise<{ sets: ReferenceSet[]; skipped: string[] }>;
  warn?(message: string): void;
}

export interface PreparedRun {
  record: RunRecord;
  config: Lenet5Config;
  runDir: string;
  /** The stored checkpoint's manifest: its step and checksum name the network to the worker. */
  checkpoint: CheckpointManifest;
}

/**
 * Whether a caller may have the host read `file`. Electron: the user dropped or picked it
 * (electron/shell/pathGrants.ts). The CLI: its user named it on the command line.
 */
export type PathGrant = (file: string) => boolean;

type Preprocessed =
  | { name: string; ok: true; width: number; height: number; inverted: boolean; pixels: Float32Array }
  | { name: string; ok: false; error: string };

export class OodService {
  private readonly evaluations = new Map<string, Promise<OodEvaluation>>();

  constructor(private readonly options: OodServiceOptions) {}

  /** Classifies decoded images; a bad one gets its own error and the others are classified. */
  async classifyImages(
    runId: string,
    images: DecodedImageInput[],
    options?: ClassifyOptionsInput,
  ): Promise<ClassifyResult> {
    const settings = classifyOptionsSchema.parse(options);
    const run = await this.prepareRun(runId);
    const prepared = images.map((image) =>
      this.preprocess(image.name, { width: image.width, height: image.height, data: image.pixels }, () =>
        checkPixelCount(image),
      ),
    );
    return this.classifyPrepared(run, prepared, settings);
  }

  /** Classifies image files sent as bytes; a damaged, oversized or blank one gets its own error. */
  async classifyImageFiles(
    runId: string,
    files: ImageFileBytes[],
    options?: ClassifyOptionsInput,
  ): Promise<ClassifyResult> {
    const settings = classifyOptionsSchema.parse(options);
    const run = await this.prepareRun(runId);
    return this.classifyPrepared(
      run,
      await this.decodeAll(files, (file) => ({
        name: file.name,
        decode: () => decodeImageBytes(Buffer.from(file.base64, 'base64'), file.name),
      })),
      settings,
    );
  }

  /**
   * Reads and classifies files by path, only those `granted`. A path that is not granted gets the
   * same error whether it exists or not, is readable or not, is a file or not: a caller must not
   * learn anything about the disk from the answer. Granted files that cannot be read, or are
   * damaged or oversized, get their own error.
   */
  async classifyFiles(
    runId: string,
    files: string[],
    options: ClassifyOptionsInput | undefined,
    granted: PathGrant,
  ): Promise<ClassifyResult> {
    const settings = classifyOptionsSchema.parse(options);
    const run = await this.prepareRun(runId);
    return this.classifyPrepared(
      run,
      await this.decodeAll(files, (file) => ({
        name: file,
        decode: () => {
          if (!granted(file)) {
            throw new OodServiceError(
              `"${file}" is not a file you dropped or picked in this window; drop it on the window (or pick it) to classify it.`,
            );
          }
          return decodeImageFile(file);
        },
      })),
      settings,
    );
  }

  /** Decoded a few at a time and reduced to 28×28 at once, so a 200-file drop holds a few images' pixels. */
  private async decodeAll<T>(
    files: T[],
    describe: (file: T) => { name: string; decode(): Promise<DecodedImageFile> },
  ): Promise<Preprocessed[]> {
    const prepared: Preprocessed[] = [];
    for (let start = 0; start < files.length; start += FILES_DECODED_AT_ONCE) {
      const batch = files.slice(start, start + FILES_DECODED_AT_ONCE).map(describe);
      prepared.push(
        ...(await Promise.all(
          batch.map(async ({ name, decode }): Promise<Preprocessed> => {
            try {
              return this.preprocess(name, await decode());
            } catch (error) {
              return { name, ok: false, error: messageOf(error) };
            }
          }),
        )),
      );
    }
    return prepared;
  }

  /** The threshold accepting 95 % of the run's held-out images (from the stored evaluation when it is current). */
  async calibrateThreshold(runId: string): Promise<ThresholdCalibration> {
    const run = await this.prepareRun(runId);
    const step = run.checkpoint.step;
    const stored = await this.getOodEvaluation(runId);
    if (stored && stored.checkpointStep === step && stored.draws === OOD_DEFAULT_DRAWS) {
      return {
        runId,
        checkpointStep: step,
        draws: stored.draws,
        threshold: stored.calibratedThreshold,
        acceptFraction: stored.acceptFraction,
        heldoutCount: stored.inDistribution.count,
      };
    }
    const reply = await this.request(run, OOD_DEFAULT_DRAWS, 'interactive', [{ name: 'heldout', source: 'heldout' }]);
    const heldout = reply.sets![0];
    const summary = summarizeDraws(
      drawProbabilitiesFromFlat(heldout.probabilities, [passesOf(heldout), heldout.count, heldout.classes]),
    );
    return {
      runId,
      checkpointStep: step,
      draws: passesOf(heldout),
      threshold: calibrateRefusalThreshold(summary.maxProbability),
      acceptFraction: CALIBRATION_ACCEPT_FRACTION,
      heldoutCount: heldout.count,
    };
  }

  /** Held-out images against every reference set; stored as runs/<id>/ood.json. One at a time per run. */
  evaluateOod(runId: string): Promise<OodEvaluation> {
    let evaluation = this.evaluations.get(runId);
    if (!evaluation) {
      evaluation = this.runEvaluation(runId).finally(() => this.evaluations.delete(runId));
      this.evaluations.set(runId, evaluation);
    }
    return evaluation;
  }

  async getOodEvaluation(runId: string): Promise<OodEvaluation | null> {
    await this.options.runs.getRun(runId); // an unknown run gets the store's "no such run"
    const file = path.join(this.options.store.runDir(runId), oodFile);
    const bytes = await this.options.store.readRunFile(runId, oodFile);
    if (!bytes) return null;
    const text = bytes.toString('utf8');
    const parsed = oodEvaluationSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      this.options.warn?.(
        `${file} is not a valid OOD evaluation and was ignored; run "Evaluate OOD" again to replace it.`,
      );
      return null;
    }
    return parsed.data;
  }

  /** Sample images for the panel's gallery (built once per process). */
  getOodGallery(): Promise<OodGallerySet[]> {
    return oodGallery();
  }

  private async runEvaluation(runId: string): Promise<OodEvaluation> {
    const started = performance.now();
    const run = await this.prepareRun(runId);
    const { sets: allSets, skipped } = await (this.options.referenceSets ?? oodReferenceSets)();
    for (const reason of skipped) this.options.warn?.(`The OOD evaluation of run "${runId}" leaves out ${reason}.`);
    // Fashion-MNIST is not out of distribution for a run trained on it.
    const sets = allSets.filter((set) => !(run.config.dataset === 'fashion-mnist' && set.name === 'Fashion-MNIST'));
    const reply = await this.request(run, OOD_DEFAULT_DRAWS, 'batch', [
      { name: 'heldout', source: 'heldout' },
      ...sets.map((set) => ({
        name: set.name,
        source: 'pixels' as const,
        count: set.count,
        images: new Float32Array(set.images),
      })),
    ]);
    // A point method makes its own number of passes (1 deterministic, M ensemble members): take T from the reply.
    const draws = passesOf(reply.sets![0]);
    const summaries = reply.sets!.map((set) =>
      summarizeDraws(drawProbabilitiesFromFlat(set.probabilities, [passesOf(set), set.count, set.classes])),
    );
    const heldout = reply.sets![0];
    const labels = heldout.labels ?? new Uint8Array(0);
    let correct = 0;
    for (let n = 0; n < labels.length; n += 1) if (summaries[0].predictedClass[n] === labels[n]) correct += 1;
    const core = evaluateOodSets(
      { name: `Held-out (${run.config.dataset})`, summary: summaries[0] },
      sets.map((set, i) => ({ name: set.name, summary: summaries[i + 1] })),
      run.config.threshold,
      epistemicAvailability(hasEpistemicPart(run.config.method), draws),
    );
    const evaluation: OodEvaluation = oodEvaluationSchema.parse({
      format: OOD_EVALUATION_FORMAT,
      runId,
      checkpointStep: reply.checkpointStep ?? run.checkpoint.step,
      draws,
      seed: OOD_SEED,
      createdAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
      backend: reply.backend ?? 'unknown',
      threshold: core.threshold,
      calibratedThreshold: core.calibratedThreshold,
      acceptFraction: core.acceptFraction,
      heldoutAccuracy: labels.length > 0 ? correct / labels.length : 0,
      inDistribution: { ...core.inDistribution, description: `The run's ${heldout.count} held-out images.` },
      outOfDistribution: core.outOfDistribution.map((set, i) => ({ ...set, description: sets[i].description })),
      ...(core.notApplicable ? { notApplicable: core.notApplicable } : {}),
    });
    await this.options.store.writeRunFile(runId, oodFile, `${JSON.stringify(evaluation)}\n`);
    return evaluation;
  }

  private prepareRun(runId: string): Promise<PreparedRun> {
    return prepareImageRun(this.options, runId);
  }

  private preprocess(name: string, image: DecodedImage, check?: () => void): Preprocessed {
    try {
      check?.();
      const result = preprocessImage(image);
      if (result.blank) {
        return {
          name,
          ok: false,
          error: `"${name}" is blank: no pixel stands out from the background, so there is nothing to classify.`,
        };
      }
      return {
        name,
        ok: true,
        width: image.width,
        height: image.height,
        inverted: result.inverted,
        pixels: result.pixels,
      };
    } catch (error) {
      return { name, ok: false, error: messageOf(error) };
    }
  }

  private async classifyPrepared(
    run: PreparedRun,
    prepared: Preprocessed[],
    settings: { draws: number; threshold: number },
  ): Promise<ClassifyResult> {
    const results: ClassifiedImage[] = prepared.map((item) =>
      item.ok ? { name: item.name, ok: false, error: 'not classified' } : item,
    );
    let checkpointStep = run.checkpoint.step;
    const ready = prepared.flatMap((item, index) => (item.ok ? [{ item, index }] : []));
    for (let start = 0; start < ready.length; start += IMAGES_PER_REQUEST) {
      const batch = ready.slice(start, start + IMAGES_PER_REQUEST);
      const images = new Float32Array(batch.length * PIXELS_PER_IMAGE);
      batch.forEach(({ item }, i) => images.set(item.pixels, i * PIXELS_PER_IMAGE));
      const reply = await this.request(run, settings.draws, 'interactive', [
        { name: 'images', source: 'pixels', count: batch.length, images },
      ]);
      const set = reply.sets![0];
      checkpointStep = reply.checkpointStep ?? checkpointStep;
      const draws = drawProbabilitiesFromFlat(set.probabilities, [passesOf(set), set.count, set.classes]);
      const verdicts = verdictsFromDraws(draws, settings.threshold);
      batch.forEach(({ item, index }, i) => {
        const verdict = verdicts[i];
        results[index] = {
          name: item.name,
          ok: true,
          width: item.width,
          height: item.height,
          inverted: item.inverted,
          preprocessed28: Array.from(item.pixels, (value) => Math.round(value * 1e4) / 1e4),
          predictedClass: verdict.predictedClass,
          maxProbability: verdict.maxProbability,
          predictiveEntropy: verdict.predictiveEntropy,
          expectedEntropy: verdict.expectedEntropy,
          mutualInformation: verdict.mutualInformation,
          refused: verdict.refused,
          meanProbabilities: verdict.meanProbabilities,
          drawProbabilities: drawRowsOf(draws, i),
        };
      });
    }
    return { runId: run.record.id, checkpointStep, draws: settings.draws, threshold: settings.threshold, results };
  }

  private async request(
    run: PreparedRun,
    draws: number,
    priority: OodRequestMessage['priority'],
    sets: OodRequestMessage['sets'],
  ): Promise<OodReplyMessage> {
    const reply = await this.options.runs.requestClassification({
      type: 'ood',
      runId: run.record.id,
      config: run.config,
      network: { runDir: run.runDir, step: run.checkpoint.step, checksum: run.checkpoint.valueChecksum },
      draws,
      seed: OOD_SEED,
      priority,
      sets,
    });
    if (!reply.ok || !reply.sets)
      throw new OodServiceError(
        `The training worker could not classify for run "${run.record.id}": ${reply.error ?? 'no result'}`,
      );
    return reply;
  }
}

/**
 * The passes a reply's probabilities hold: the T asked for, or a point method's own number (1 for a
 * deterministic net, M for an ensemble: core/evaluation/monteCarlo drawsOf), read from its size.
 */
function passesOf(set: { probabilities: ArrayLike<number>; count: number; classes: number }): number {
  const passes = set.probabilities.length / (set.count * set.classes);
  if (!Number.isInteger(passes) || passes < 1)
    throw new OodServiceError(
      `The worker sent ${set.probabilities.length} probabilities for ${set.count} images of ${set.classes} classes; expected a whole number of passes.`,
    );
  return passes;
}

/**
 * The run and its stored checkpoint, for evaluations that classify images with it (OOD, shift); a
 * run that does not classify images, or has no usable checkpoint yet, gets a sentence saying so.
 */
export async function prepareImageRun(
  options: { runs: Pick<OodServiceOptions['runs'], 'getRun'>; store: Pick<OodServiceOptions['store'], 'runDir'> },
  runId: string,
): Promise<PreparedRun> {
  const record = await options.runs.getRun(runId);
  if (!classifiesImages(record.config)) {
    throw new OodServiceError(`Run "${runId}" is a ${record.config.experiment} run; only LeNet5 runs classify images.`);
  }
  const runDir = options.store.runDir(runId);
  let checkpoint: CheckpointManifest | null;
  try {
    checkpoint = await readCheckpointManifest(runDir);
  } catch (error) {
    throw new OodServiceError(`Run "${runId}" has a checkpoint that cannot be used (${messageOf(error)}).`);
  }
  if (!checkpoint) {
    if (record.state === 'failed' || record.state === 'stopped' || record.state === 'interrupted') {
      // It never will have one: saying "yet" would send the user waiting.
      throw new OodServiceError(
        `Run "${runId}" ${record.state === 'failed' ? 'failed' : `was ${record.state}`} at step ${record.step}, before its first checkpoint` +
          `${record.message ? ` (${record.message.replace(/[.\s]+$/, '')})` : ''}, so it has no network to classify images with; start a new run.`,
      );
    }
    throw new OodServiceError(
      `Run "${runId}" has no checkpoint yet; it is written at the run's first evaluation (step ${record.config.evalEvery}), after which its network can classify images.`,
    );
  }
  return { record, config: record.config, runDir, checkpoint };
}

function checkPixelCount(image: DecodedImageInput): void {
  const pixels = image.width * image.height;
  if (pixels > OOD_MAX_IMAGE_PIXELS) {
    throw new OodServiceError(
      `"${image.name}" is ${image.width}×${image.height} pixels; the largest decoded image accepted is ${OOD_MAX_IMAGE_PIXELS / 1e6} megapixels (shrink it first).`,
    );
  }
  if (image.pixels.length !== pixels && image.pixels.length !== pixels * 4) {
    throw new OodServiceError(
      `"${image.name}" is ${image.width}×${image.height}, so it needs ${pixels} grey or ${pixels * 4} RGBA values; ${image.pixels.length} were sent.`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
