/**
 * Unfamiliar images of the selected LeNet5 run: what was dropped, picked, pasted or taken from the
 * gallery, the network's verdict on each, the refusal threshold (the verdicts follow it live: the
 * refusal is recomputed here from the mean probabilities, without a new request), the calibrated
 * threshold, and the run's stored OOD evaluation.
 *
 * In Electron a dropped file with a path goes by path (classifyFiles: the host decodes it); in the
 * browser the file is decoded here and its pixels are sent (classifyImages).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ClassifiedImageOk, DecodedImageInput, OodEvaluation, OodGallerySet, ThresholdCalibration } from '../../../core/contract/ood';
import { DEFAULT_REFUSAL_THRESHOLD, isRefused } from '../../../core/ood/verdict';
import { getWorkbenchApi } from '../api';
import { getDesktopBridge } from '../api/desktopBridge';
import { decodeImageFile } from '../util/decodeImageFile';

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
const FILES_DECODED_AT_ONCE = 4;
const MAX_ITEMS = 400;

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
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

  const pending = computed(() => items.value.filter((item) => item.state === 'decoding' || item.state === 'classifying').length);

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

  function settle(item: OodItem, result: { ok: true; value: ClassifiedImageOk; step: number } | { ok: false; error: string }): void {
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
    const created = addItems(files.map((file) => ({ name: file.name || 'pasted image', previewUrl: URL.createObjectURL(file), previewPixels: null })));
    const desktop = getDesktopBridge();
    const paths = desktop ? files.map((file) => desktop.pathForFile(file)) : [];
    if (desktop && paths.every(Boolean)) {
      created.forEach((item) => (item.state = 'classifying'));
      await classifyByPath(id, created, paths);
      return;
    }
    const decoded: { item: OodItem; image: DecodedImageInput }[] = [];
    for (let start = 0; start < files.length; start += FILES_DECODED_AT_ONCE) {
      await Promise.all(
        files.slice(start, start + FILES_DECODED_AT_ONCE).map(async (file, offset) => {
          const item = created[start + offset];
          try {
            decoded.push({ item, image: await decodeImageFile(file) });
            item.state = 'classifying';
          } catch (caught) {
            settle(item, { ok: false, error: messageOf(caught) });
          }
        }),
      );
    }
    await classifyDecoded(id, decoded);
  }

  /** A gallery set's images, classified like dropped ones. */
  async function addGallerySet(name: string): Promise<void> {
    const id = runId.value;
    const set = gallery.value.find((candidate) => candidate.name === name);
    if (!id || !set) return;
    const created = addItems(set.images.map((image) => ({ name: image.name, previewUrl: null, previewPixels: image })));
    created.forEach((item) => (item.state = 'classifying'));
    await classifyDecoded(id, created.map((item, i) => ({ item, image: set.images[i] })));
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
    let batch: typeof decoded = [];
    let values = 0;
    const send = async () => {
      const current = batch;
      batch = [];
      values = 0;
      if (current.length === 0) return;
      try {
        const reply = await api.classifyImages(id, current.map((entry) => entry.image), { draws: draws.value, threshold: threshold.value });
        reply.results.forEach((result, i) =>
          settle(current[i].item, result.ok ? { ok: true, value: result, step: reply.checkpointStep } : { ok: false, error: result.error }),
        );
      } catch (caught) {
        for (const entry of current) settle(entry.item, { ok: false, error: messageOf(caught) });
      }
    };
    for (const entry of decoded) {
      if (batch.length >= IMAGES_PER_CALL || (batch.length > 0 && values + entry.image.pixels.length > VALUES_PER_CALL)) await send();
      batch.push(entry);
      values += entry.image.pixels.length;
    }
    await send();
  }

  async function classifyByPath(id: string, created: OodItem[], paths: string[]): Promise<void> {
    for (let start = 0; start < paths.length; start += 50) {
      const chunk = created.slice(start, start + 50);
      try {
        const reply = await api.classifyFiles(id, paths.slice(start, start + 50), { draws: draws.value, threshold: threshold.value });
        reply.results.forEach((result, i) =>
          settle(chunk[i], result.ok ? { ok: true, value: result, step: reply.checkpointStep } : { ok: false, error: result.error }),
        );
      } catch (caught) {
        for (const item of chunk) settle(item, { ok: false, error: messageOf(caught) });
      }
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
    runId, items, threshold, draws, calibration, calibrating, evaluation, evaluating, gallery, error, pending,
    refused, clear, setRun, addFiles, addGallerySet, loadGallery, calibrate, evaluate,
  };
});
