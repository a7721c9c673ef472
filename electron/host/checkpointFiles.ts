/**
 * A run's checkpoint on disk: `checkpoint/manifest.json` names the binary beside it
 * (`values-<step>-<random>.f32`). A new checkpoint writes its binary under a fresh name and
 * fsyncs it, then writes the manifest to a temporary name, fsyncs it and renames it over
 * `manifest.json`: that rename is the commit. A process killed at any point leaves either the
 * previous checkpoint or the new one, whole; leftovers of an unfinished write are removed by the next.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deserializeCheckpoint, parseCheckpointManifest, type CheckpointManifest, type SerializedCheckpoint } from '../../core/training/checkpoint';

export class CheckpointFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFilesError';
  }
}

export const CHECKPOINT_FOLDER = 'checkpoint';
const manifestFile = 'manifest.json';

async function writeAndSync(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename inside `dir` durable (where the platform allows opening a folder). */
async function syncFolder(dir: string): Promise<void> {
  let handle: import('node:fs/promises').FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a folder; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Replaces the checkpoint in `runDir/checkpoint/` atomically; returns the manifest as stored. */
export async function writeCheckpointFiles(runDir: string, checkpoint: SerializedCheckpoint): Promise<CheckpointManifest> {
  const dir = path.join(runDir, CHECKPOINT_FOLDER);
  await fs.mkdir(dir, { recursive: true });
  const unique = randomBytes(4).toString('hex');
  const valuesFile = `values-${checkpoint.manifest.step}-${unique}.f32`;
  const manifest: CheckpointManifest = { ...checkpoint.manifest, valuesFile };
  await writeAndSync(path.join(dir, valuesFile), checkpoint.values);
  const temporary = path.join(dir, `${manifestFile}.${unique}.tmp`);
  await writeAndSync(temporary, `${JSON.stringify(manifest, null, 1)}\n`);
  try {
    await fs.rename(temporary, path.join(dir, manifestFile));
  } catch (error) {
    await Promise.all([fs.rm(temporary, { force: true }), fs.rm(path.join(dir, valuesFile), { force: true })]);
    throw error;
  }
  await syncFolder(dir);
  // The previous binary and any leftovers of a write that was killed halfway.
  for (const name of await fs.readdir(dir)) {
    if (name !== manifestFile && name !== valuesFile) await fs.rm(path.join(dir, name), { force: true, recursive: true });
  }
  return manifest;
}

/** The manifest of the stored checkpoint, or null when there is none. */
export async function readCheckpointManifest(runDir: string): Promise<CheckpointManifest | null> {
  const file = path.join(runDir, CHECKPOINT_FOLDER, manifestFile);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFilesError(`${file} is not valid JSON (${(error as Error).message}); the checkpoint cannot be used.`);
  }
  const manifest = parseCheckpointManifest(json);
  if (!manifest.valuesFile) throw new CheckpointFilesError(`${file} names no values file; the checkpoint cannot be used.`);
  return manifest;
}

/** The stored checkpoint, checked whole (length, checksum, every tensor in bounds), or null when there is none. */
export async function readCheckpointFiles(runDir: string): Promise<SerializedCheckpoint | null> {
  const manifest = await readCheckpointManifest(runDir);
  if (!manifest) return null;
  const file = path.join(runDir, CHECKPOINT_FOLDER, manifest.valuesFile!);
  let values: Uint8Array<ArrayBuffer>;
  try {
    values = new Uint8Array(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointFilesError(`The checkpoint's values file ${file} is missing; the checkpoint cannot be used.`);
    throw error;
  }
  deserializeCheckpoint(manifest, values);
  return { manifest, values };
}
