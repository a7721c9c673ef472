/**
 * A run's checkpoint on disk: `checkpoint/manifest.json` names the binary beside it
 * (`values-<step>-<random>.f32`). A new checkpoint writes its binary under a fresh name and
 * fsyncs it, then replaces `manifest.json` atomically (./safeFiles: temporary name, fsync, rename,
 * fsync of the folder): that rename is the commit. A process killed at any point leaves either the
 * previous checkpoint or the new one, whole; leftovers of an unfinished write are removed by the next.
 *
 * `checkpoint/` must be a real folder: a link there is refused (never written through, never
 * cleaned up through — it could point anywhere), and no file in it is opened through a link.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  deserializeCheckpoint,
  parseCheckpointManifest,
  type CheckpointManifest,
  type SerializedCheckpoint,
} from '../../core/training/checkpoint';
import { describeFileType, readFileBounded, writeFileAtomically, writeNewFileSynced } from './safeFiles';

export class CheckpointFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFilesError';
  }
}

export const CHECKPOINT_FOLDER = 'checkpoint';
const manifestFile = 'manifest.json';
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Far above any model here (LeNet5 with Adam's moments is ≈ 1 MB); a bigger file is not a checkpoint of ours. */
const MAX_VALUES_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** The checkpoint folder of `runDir` if it exists as a real folder; null if absent; throws if it is anything else. */
async function checkpointFolder(runDir: string): Promise<string | null> {
  const dir = path.join(runDir, CHECKPOINT_FOLDER);
  let stats: import('node:fs').Stats;
  try {
    stats = await fs.lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!stats.isDirectory()) {
    const what = stats.isSymbolicLink()
      ? 'a symbolic link (links inside a run folder are never followed)'
      : describeFileType(stats);
    throw new CheckpointFilesError(
      `${dir} is ${what}, not a folder; the checkpoint cannot be used or replaced until it is removed.`,
    );
  }
  return dir;
}

/** Replaces the checkpoint in `runDir/checkpoint/` atomically; returns the manifest as stored. */
export async function writeCheckpointFiles(
  runDir: string,
  checkpoint: SerializedCheckpoint,
): Promise<CheckpointManifest> {
  let dir = await checkpointFolder(runDir);
  if (!dir) {
    dir = path.join(runDir, CHECKPOINT_FOLDER);
    await fs.mkdir(dir);
  }
  const unique = randomBytes(4).toString('hex');
  const valuesFile = `values-${checkpoint.manifest.step}-${unique}.f32`;
  const manifest: CheckpointManifest = { ...checkpoint.manifest, valuesFile };
  await writeNewFileSynced(path.join(dir, valuesFile), checkpoint.values);
  try {
    await writeFileAtomically(path.join(dir, manifestFile), `${JSON.stringify(manifest, null, 1)}\n`);
  } catch (error) {
    await fs.rm(path.join(dir, valuesFile), { force: true });
    throw error;
  }
  await removeLeftovers(dir, valuesFile);
  return manifest;
}

/** The previous binary and any leftovers of a write that was killed halfway (links are removed as links). */
async function removeLeftovers(dir: string, keepValuesFile: string | undefined): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name !== manifestFile && name !== keepValuesFile)
      await fs.rm(path.join(dir, name), { force: true, recursive: true });
  }
}

/** Removes what unfinished checkpoint writes left, keeping the committed checkpoint (nothing if it cannot be read). */
export async function removeCheckpointLeftovers(runDir: string): Promise<void> {
  let manifest: CheckpointManifest | null;
  try {
    manifest = await readCheckpointManifest(runDir);
  } catch {
    return; // a damaged checkpoint is left for the user to see
  }
  const dir = await checkpointFolder(runDir);
  if (dir && manifest) await removeLeftovers(dir, manifest.valuesFile);
}

/** The manifest of the stored checkpoint, or null when there is none. */
export async function readCheckpointManifest(runDir: string): Promise<CheckpointManifest | null> {
  const dir = await checkpointFolder(runDir);
  if (!dir) return null;
  const file = path.join(dir, manifestFile);
  let text: string;
  try {
    text = (await readFileBounded(file, MAX_MANIFEST_BYTES)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CheckpointFilesError(
      `${file} cannot be read (${(error as Error).message}); the checkpoint cannot be used.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFilesError(
      `${file} is not valid JSON (${(error as Error).message}); the checkpoint cannot be used.`,
    );
  }
  const manifest = parseCheckpointManifest(json);
  if (
    !manifest.valuesFile ||
    path.basename(manifest.valuesFile) !== manifest.valuesFile ||
    manifest.valuesFile.startsWith('.')
  ) {
    throw new CheckpointFilesError(`${file} names no values file in its own folder; the checkpoint cannot be used.`);
  }
  return manifest;
}

/** The stored checkpoint, checked whole (length, checksum, every tensor in bounds), or null when there is none. */
export async function readCheckpointFiles(runDir: string): Promise<SerializedCheckpoint | null> {
  const manifest = await readCheckpointManifest(runDir);
  if (!manifest) return null;
  const file = path.join(runDir, CHECKPOINT_FOLDER, manifest.valuesFile!);
  let values: Uint8Array<ArrayBuffer>;
  try {
    values = new Uint8Array(await readFileBounded(file, Math.min(manifest.valueBytes, MAX_VALUES_BYTES)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CheckpointFilesError(`The checkpoint's values file ${file} is missing; the checkpoint cannot be used.`);
    throw new CheckpointFilesError(
      `The checkpoint's values file cannot be read (${(error as Error).message}); the checkpoint cannot be used.`,
    );
  }
  deserializeCheckpoint(manifest, values);
  return { manifest, values };
}
