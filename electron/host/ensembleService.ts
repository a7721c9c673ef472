/**
 * A deep ensemble combined after the fact from a seed group of deterministic runs (issue 11), host
 * side; knows nothing of transports. The combination is checked first (core/methods/combineRuns:
 * at least 2 deterministic classification runs of one configuration but for the seed, each with a
 * checkpoint), then stored as a new run folder of method `ensemble` whose record names its member
 * runs (`combinedFrom`) and whose checkpoint holds every member's weights under the names a trained
 * ensemble's checkpoint uses — so the dashboard, compare, OOD and shift evaluations read it like any
 * ensemble run. Its held-out scores come from the training worker (which owns tfjs: the host names
 * the new checkpoint, the worker classifies) and the one scoring module every method shares; they
 * are stored as the run's `heldout` event and summary. The members' folders are only read.
 */
import type { RunEvent } from '../../core/contract/runEvent';
import type { ClassificationSummary } from '../../core/contract/runSummary';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { gaussianNoiseImages } from '../../core/data/noise';
import { combinedCheckpoint, planCombinedEnsemble } from '../../core/methods/combineRuns';
import { drawProbabilitiesFromFlat, summarizeDraws } from '../../core/metrics/predictive';
import { refusedFraction } from '../../core/ood/verdict';
import { SeedStream } from '../../core/random/seedStream';
import { scoreClassification, thinRiskCoverage } from '../../core/scoring/classificationScores';
import { deserializeCheckpoint, serializeCheckpoint, type SerializedCheckpoint } from '../../core/training/checkpoint';
import type { CheckpointManifest } from '../../core/training/checkpoint';
import type { OodReplyMessage, OodRequestMessage } from '../worker/messages';
import { createRunId } from './runStore';

export class EnsembleServiceError extends Error {
  override name = 'EnsembleServiceError';
}

/** The trainer's noise panel: 500 `randn` images seeded as the run's evaluations seed theirs (lenet5/evaluation). */
const NOISE_IMAGES = 500;

export interface EnsembleServiceOptions {
  runs: {
    getRun(id: string): Promise<RunRecord>;
    requestClassification(message: Omit<OodRequestMessage, 'requestId'>): Promise<OodReplyMessage>;
  };
  /** The optimizer steps a run of this configuration takes (core/experiments/registry totalStepsOf). */
  totalSteps(config: RunRecord['config']): number;
  store: {
    assertWritable(action: string): void;
    runDir(id: string): string;
    createRun(record: RunRecord): Promise<void>;
    readCheckpoint(id: string): Promise<SerializedCheckpoint | null>;
    writeCheckpoint(id: string, checkpoint: SerializedCheckpoint): Promise<CheckpointManifest>;
    appendEvent(event: RunEvent): void;
    finishRecord(record: RunRecord): Promise<void>;
  };
}

export class EnsembleService {
  constructor(private readonly options: EnsembleServiceOptions) {}

  /** Combines the runs into a new ensemble run and scores it on their held-out set; returns its record. */
  async combineRuns(runIds: readonly string[], name?: string): Promise<RunRecord> {
    const { runs, store } = this.options;
    store.assertWritable('Combining runs into an ensemble');
    const records = await Promise.all(runIds.map((id) => runs.getRun(id)));
    const plan = planCombinedEnsemble(records, name);
    const checkpoints = await Promise.all(
      records.map(async (record) => {
        const stored = await store.readCheckpoint(record.id);
        if (!stored) throw new EnsembleServiceError(`Run "${record.name}" has no checkpoint to take its weights from.`);
        return deserializeCheckpoint(stored.manifest, stored.values);
      }),
    );
    const checkpoint = combinedCheckpoint(checkpoints);
    const started = new Date().toISOString();
    let record: RunRecord = {
      id: createRunId(plan.config.experiment),
      name: plan.name,
      tags: [],
      config: plan.config,
      state: 'running',
      createdAt: started,
      startedAt: started,
      step: checkpoint.step,
      totalSteps: this.options.totalSteps(plan.config),
      combinedFrom: plan.memberIds,
    };
    await store.createRun(record);
    const manifest = await store.writeCheckpoint(record.id, serializeCheckpoint(checkpoint));
    record = { ...record, checkpointStep: manifest.step };
    try {
      const heldout = await this.scoreHeldout(record, manifest);
      store.appendEvent(heldout);
      const memberSummaries = records.map((member) => member.summary as ClassificationSummary | undefined);
      const trainSeconds = memberSummaries.reduce(
        (sum, summary) => sum + (summary && summary.stepsPerSecond > 0 ? summary.steps / summary.stepsPerSecond : NaN),
        0,
      );
      const base = memberSummaries[0];
      const parameterCounts = memberSummaries.map((summary) => summary?.parameterCount);
      const summary: ClassificationSummary | undefined = base && {
        ...base,
        seed: plan.config.seed,
        // The members trained one after another: the ensemble's training time is their sum.
        stepsPerSecond: Number.isFinite(trainSeconds) && trainSeconds > 0 ? base.steps / trainSeconds : 0,
        heldoutNats: heldout.heldoutNats,
        heldoutAccuracy: heldout.accuracy,
        heldoutImages: heldout.images,
        ece: heldout.ece,
        brier: heldout.brier ?? null,
        aurc: heldout.aurc ?? null,
        noiseRefusal: heldout.noiseRefusal,
        digitRefusal: heldout.digitRefusal,
        meanMaxProbabilityNoise: heldout.meanMaxProbabilityNoise,
        evalDraws: heldout.draws,
        evalSeconds: heldout.evalSeconds,
        method: 'ensemble',
        members: records.length,
        combinedFrom: plan.memberIds.join(' '),
        ...(parameterCounts.every((count) => typeof count === 'number')
          ? { parameterCount: (parameterCounts as number[]).reduce((a, b) => a + b, 0) }
          : {}),
      };
      record = { ...record, state: 'completed', finishedAt: new Date().toISOString(), ...(summary ? { summary } : {}) };
      store.appendEvent({ type: 'status', runId: record.id, step: record.step, time: Date.now(), state: 'completed' });
      await store.finishRecord(record);
      return record;
    } catch (error) {
      const message = `Scoring the combined ensemble failed: ${error instanceof Error ? error.message : String(error)}`;
      record = { ...record, state: 'failed', message, finishedAt: new Date().toISOString() };
      store.appendEvent({
        type: 'status',
        runId: record.id,
        step: record.step,
        time: Date.now(),
        state: 'failed',
        message,
      });
      await store.finishRecord(record);
      throw new EnsembleServiceError(message);
    }
  }

  /** The mixture of the members on the held-out images and on the trainer's noise panel, as a `heldout` event. */
  private async scoreHeldout(
    record: RunRecord,
    manifest: CheckpointManifest,
  ): Promise<Extract<RunEvent, { type: 'heldout' }>> {
    const config = record.config as RunRecord['config'] & { threshold: number; seed: number };
    const started = performance.now();
    const evaluationSeed = new SeedStream(config.seed).fork(3).next();
    const noise = gaussianNoiseImages(NOISE_IMAGES, evaluationSeed ^ config.seed);
    const members = record.combinedFrom!.length;
    const reply = await this.options.runs.requestClassification({
      type: 'ood',
      runId: record.id,
      config: record.config,
      network: { runDir: this.options.store.runDir(record.id), step: manifest.step, checksum: manifest.valueChecksum },
      draws: members,
      seed: evaluationSeed,
      priority: 'batch',
      sets: [
        { name: 'heldout', source: 'heldout' },
        { name: 'noise', source: 'pixels', count: NOISE_IMAGES, images: new Float32Array(noise) },
      ],
    });
    if (!reply.ok || !reply.sets) throw new EnsembleServiceError(reply.error ?? 'the worker sent no probabilities');
    const [heldoutSet, noiseSet] = reply.sets;
    const labels = heldoutSet.labels ?? new Uint8Array(0);
    const draws = heldoutSet.probabilities.length / (heldoutSet.count * heldoutSet.classes);
    if (draws !== members || labels.length !== heldoutSet.count)
      throw new EnsembleServiceError(`expected ${members} member passes with labels; the worker sent ${draws}.`);
    const scores = scoreClassification(
      drawProbabilitiesFromFlat(heldoutSet.probabilities, [draws, heldoutSet.count, heldoutSet.classes]),
      labels,
      { hasEpistemicPart: true },
    );
    const summary = summarizeDraws(
      drawProbabilitiesFromFlat(heldoutSet.probabilities, [draws, heldoutSet.count, heldoutSet.classes]),
    );
    const noiseSummary = summarizeDraws(
      drawProbabilitiesFromFlat(noiseSet.probabilities, [draws, noiseSet.count, noiseSet.classes]),
    );
    return {
      type: 'heldout',
      runId: record.id,
      step: record.step,
      time: Date.now(),
      heldoutNats: scores.heldoutNats,
      accuracy: scores.accuracy,
      ece: scores.ece,
      brier: scores.brier,
      aurc: scores.aurc,
      riskCoverage: thinRiskCoverage(scores.riskCoverage),
      reliability: scores.reliability.map((bin) => ({
        ...bin,
        meanConfidence: bin.meanConfidence ?? 0,
        accuracy: bin.accuracy ?? 0,
      })),
      draws,
      images: heldoutSet.count,
      threshold: config.threshold,
      digitRefusal: refusedFraction(summary.maxProbability, config.threshold),
      noiseRefusal: refusedFraction(noiseSummary.maxProbability, config.threshold),
      meanMaxProbabilityNoise: noiseSummary.maxProbability.reduce((sum, p) => sum + p, 0) / noiseSet.count,
      // The panel of per-image bars is the trainer's; a combination after the fact has none.
      panel: [],
      evalSeconds: (performance.now() - started) / 1000,
    };
  }
}
