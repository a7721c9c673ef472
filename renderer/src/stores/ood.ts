/**
 * Unfamiliar images of the selected LeNet5 run: what was dropped, picked, pasted or taken from the
 * gallery, the network's verdict on each, the refusal threshold (the verdicts follow it live: the
 * refusal is recomputed here from the mean probabilities, without a new request), the calibrated
 * threshold, and the run's stored OOD evaluation.
 *
 * Files are never decoded here: the host decodes them all by one path. In Electron a dropped or
 * picked file goes by its (granted) path (classifyFiles); otherwise — the browser, a pasted image —
 * its bytes are sent (classifyImageFiles). Gallery images are pixels already (classifyImages).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import {
  OOD_MAX_UPLOAD_BYTES,
  OOD_MAX_UPLOAD_FILES,
  type ClassifiedImageOk,
  type ClassifyResult,
  type DecodedImageInput,
  type ImageFileBytes,
  type OodEvaluation,
  type OodGallerySet,
  type ThresholdCalibration,
} from '../../../core/contract/ood';
import { DEFAULT_REFUSAL_THRESHOLD, isRefused } from '../../../core/ood/verdict';
import { getWorkbenchApi } from '../api';
import { messageOf } from '../api/errorMessage';
import { getDesktopBridge } from '../api/desktopBridge';
import { imageFileBytes } from '../util/imageFileBytes';

export interface OodItem {
  id: number;
  name: string;
  /** An object URL of the file as dropped (revoked when the item goes). */
  previewUrl: string | null;
  /** Grey pixels of a gallery image, drawn as it is. */
  previewPixels: DecodedImageInput | null;
  state: 'decoding' | 'classifying' | 'done' | 'error';
  error?: string;
  result?: ClassifiedImageOk;
  checkpointStep?: number;
}

/** Per classifyImages call: images and grey values (a WebSocket request stays well under 1 MB). */
const IMAGES_PER_CALL = 16;
const VALUES_PER_CALL = 120_000;
/** Files read at once before sending: memory stays bounded however many are dropped. */
const FILES_READ_AT_ONCE = 4;
/** Paths per classifyFiles call. */
const PATHS_PER_CALL = 50;
const MAX_ITEMS = 400;

/**
 * Groups items into calls of at most `maxItems` items and `maxSize` of total size (an item larger
 * than that goes alone), sending each call when the next item would not fit, and the rest on flush.
 */
function boundedBatches<T extends { size: number }>(
  maxItems: number,
  maxSize: number,
  send: (batch: T[]) => Promise<void>,
) {
  let batch: T[] = [];
  let total = 0;
  const flush = async () => {
    const current = batch;
    batch = [];
    total = 0;
    if (current.length > 0) await send(current);
  };
  return {
    async add(item: T): Promise<void> {
      if (batch.length >= maxItems || (batch.length > 0 && total + item.size > maxSize)) await flush();
      batch.push(item);
      total += item.size;
    },
    flush,
  };
}

export const useOodStore = defineStore('ood', () => {
  const api = getWorkbenchApi();
  const runId = ref<string | null>(null);
  const items = ref<OodItem[]>([]);
  const threshold = ref(DEFAULT_REFUSAL_THRESHOLD);
  const draws = ref(50);
  const calibration = ref<ThresholdCalibration | null>(null);
  const calibrating = ref(false);
  const evaluation = shallowRef<OodEvaluation | null>(null);
  const evaluating = ref(false);
  const gallery = shallowRef<OodGallerySet[]>([]);
  const error = ref<string | null>(null);
  let nextId = 1;

  const pending = computed(
    () => items.value.filter((item) => item.state === 'decoding' || item.state === 'classifying').length,
  );

  /** Refusal at the slider's threshold, from the mean probabilities already received. */
  function refused(item: OodItem): boolean | null {
    return item.result ? isRefused(item.result.meanProbabilities, threshold.value) : null;
  }

  function clear(): void {
    for (const item of items.value) if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
    items.value = [];
  }

  /** Switches to another run: its images are not this one's, its evaluation is loaded. */
  async function setRun(id: string | null): Promise<void> {
    if (id === runId.value) return;
    clear();
    runId.value = id;
    calibration.value = null;
    evaluation.value = null;
    error.value = null;
    if (!id) return;
    try {
      const stored = await api.getOodEvaluation(id);
      if (runId.value === id) evaluation.value = stored;
    } catch (caught) {
      if (runId.value === id) error.value = messageOf(caught);
    }
  }

  function addItems(entries: Omit<OodItem, 'id' | 'state'>[]): OodItem[] {
    const created = entries.map((entry) => ({ ...entry, id: nextId++, state: 'decoding' as const }));
    items.value = [...created, ...items.value];
    for (const dropped of items.value.slice(MAX_ITEMS)) if (dropped.previewUrl) URL.revokeObjectURL(dropped.previewUrl);
    items.value = items.value.slice(0, MAX_ITEMS);
    // The reactive proxies, so later changes show.
    return created.map((item) => items.value.find((candidate) => candidate.id === item.id)!);
  }

  function settle(
    item: OodItem,
    result: { ok: true; value: ClassifiedImageOk; step: number } | { ok: false; error: string },
  ): void {
    if (result.ok) {
      item.state = 'done';
      item.result = result.value;
      item.checkpointStep = result.step;
    } else {
      item.state = 'error';
      item.error = result.error;
    }
  }

  /** Dropped, picked or pasted files. */
  async function addFiles(dropped: File[]): Promise<void> {
    const id = runId.value;
    if (!id || dropped.length === 0) return;
    const files = dropped.slice(0, MAX_ITEMS);
    error.value = null;
    const created = addItems(
      files.map((file) => ({
        name: file.name || 'pasted image',
        previewUrl: URL.createObjectURL(file),
        previewPixels: null,
      })),
    );
    const desktop = getDesktopBridge();
    // Electron grants the path of a dropped or picked File (pathForFile); a pasted image has none.
    const paths = desktop ? await Promise.all(files.map((file) => desktop.pathForFile(file).catch(() => ''))) : [];
    if (desktop && paths.every(Boolean)) {
      await classifyByPath(id, created, paths);
      return;
    }
    await classifyByBytes(
      id,
      files.map((file, i) => ({ file, item: created[i] })),
    );
  }

  /** Electron's Open dialog: the picked paths are granted by the main process. */
  async function pickFiles(): Promise<boolean> {
    const id = runId.value;
    const desktop = getDesktopBridge();
    if (!id || !desktop) return false;
    const paths = (await desktop.pickImageFiles()).slice(0, MAX_ITEMS);
    if (paths.length === 0) return true;
    error.value = null;
    const created = addItems(
      paths.map((file) => ({ name: file.split(/[\\/]/).pop() || file, previewUrl: null, previewPixels: null })),
    );
    await classifyByPath(id, created, paths);
    return true;
  }

  /** Sends the files' bytes in calls of at most OOD_MAX_UPLOAD_FILES files and OOD_MAX_UPLOAD_BYTES. */
  async function classifyByBytes(id: string, entries: { file: File; item: OodItem }[]): Promise<void> {
    const calls = boundedBatches<{ item: OodItem; bytes: ImageFileBytes; size: number }>(
      OOD_MAX_UPLOAD_FILES,
      OOD_MAX_UPLOAD_BYTES,
      async (current) => {
        current.forEach((entry) => (entry.item.state = 'classifying'));
        await settleAll(
          current.map((entry) => entry.item),
          () =>
            api.classifyImageFiles(
              id,
              current.map((entry) => entry.bytes),
              { draws: draws.value, threshold: threshold.value },
            ),
        );
      },
    );
    for (let start = 0; start < entries.length; start += FILES_READ_AT_ONCE) {
      const read = await Promise.all(
        entries.slice(start, start + FILES_READ_AT_ONCE).map(async ({ file, item }) => {
          try {
            const { bytes: size, ...bytes } = await imageFileBytes(file);
            return { item, bytes, size };
          } catch (caught) {
            settle(item, { ok: false, error: messageOf(caught) });
            return null;
          }
        }),
      );
      for (const entry of read) if (entry) await calls.add(entry);
    }
    await calls.flush();
  }

  /** One call's verdicts onto its items (in order); a failed call is every item's error. */
  async function settleAll(targets: OodItem[], call: () => Promise<ClassifyResult>): Promise<void> {
    try {
      const reply = await call();
      reply.results.forEach((result, i) =>
        settle(
          targets[i],
          result.ok ? { ok: true, value: result, step: reply.checkpointStep } : { ok: false, error: result.error },
        ),
      );
    } catch (caught) {
      for (const item of targets) settle(item, { ok: false, error: messageOf(caught) });
    }
  }

  /** A gallery set's images, classified like dropped ones. */
  async function addGallerySet(name: string): Promise<void> {
    const id = runId.value;
    const set = gallery.value.find((candidate) => candidate.name === name);
    if (!id || !set) return;
    const created = addItems(set.images.map((image) => ({ name: image.name, previewUrl: null, previewPixels: image })));
    created.forEach((item) => (item.state = 'classifying'));
    await classifyDecoded(
      id,
      created.map((item, i) => ({ item, image: set.images[i] })),
    );
  }

  async function loadGallery(): Promise<void> {
    if (gallery.value.length > 0) return;
    try {
      gallery.value = await api.getOodGallery();
    } catch (caught) {
      error.value = messageOf(caught);
    }
  }

  async function classifyDecoded(id: string, decoded: { item: OodItem; image: DecodedImageInput }[]): Promise<void> {
    const calls = boundedBatches<{ item: OodItem; image: DecodedImageInput; size: number }>(
      IMAGES_PER_CALL,
      VALUES_PER_CALL,
      (current) =>
        settleAll(
          current.map((entry) => entry.item),
          () =>
            api.classifyImages(
              id,
              current.map((entry) => entry.image),
              { draws: draws.value, threshold: threshold.value },
            ),
        ),
    );
    for (const entry of decoded) await calls.add({ ...entry, size: entry.image.pixels.length });
    await calls.flush();
  }

  async function classifyByPath(id: string, created: OodItem[], paths: string[]): Promise<void> {
    created.forEach((item) => (item.state = 'classifying'));
    for (let start = 0; start < paths.length; start += PATHS_PER_CALL) {
      await settleAll(created.slice(start, start + PATHS_PER_CALL), () =>
        api.classifyFiles(id, paths.slice(start, start + PATHS_PER_CALL), {
          draws: draws.value,
          threshold: threshold.value,
        }),
      );
    }
  }

  async function calibrate(): Promise<void> {
    const id = runId.value;
    if (!id) return;
    calibrating.value = true;
    error.value = null;
    try {
      const result = await api.calibrateThreshold(id);
      if (runId.value !== id) return;
      calibration.value = result;
      threshold.value = result.threshold;
    } catch (caught) {
      error.value = messageOf(caught);
    } finally {
      calibrating.value = false;
    }
  }

  async function evaluate(): Promise<void> {
    const id = runId.value;
    if (!id) return;
    evaluating.value = true;
    error.value = null;
    try {
      const result = await api.evaluateOod(id);
      if (runId.value === id) evaluation.value = result;
    } catch (caught) {
      error.value = messageOf(caught);
    } finally {
      evaluating.value = false;
    }
  }

  return {
    runId,
    items,
    threshold,
    draws,
    calibration,
    calibrating,
    evaluation,
    evaluating,
    gallery,
    error,
    pending,
    refused,
    clear,
    setRun,
    addFiles,
    pickFiles,
    addGallerySet,
    loadGallery,
    calibrate,
    evaluate,
  };
});
