/**
 * Host services for a CLI command that evaluates a stored run and writes its result into the run
 * folder (ood.json, shift.json): it must own the runs folder, and it writes nothing else (no
 * recovery of other runs). Null, with the reason on stderr, when the folder cannot be opened so.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openHostServices, type HostServices, type RunsFolderAccess } from '../host/hostServices';

/** The run folder named by --run, or null (said on stderr) when it is not one. */
export function runFolder(run: string): string | null {
  const runDir = path.resolve(run);
  if (existsSync(path.join(runDir, 'run.json'))) return runDir;
  console.error(`Error: "${run}" is not a run folder (it has no run.json); pass --run runs/<id>.`);
  return null;
}

/**
 * Services on the runs folder holding `runDir`. `owner-or-read-only` suits a command that writes
 * nothing when another process owns the folder.
 */
export async function openServicesToEvaluate(
  runDir: string,
  processName: string,
  access: RunsFolderAccess = 'owner',
): Promise<HostServices | null> {
  try {
    return await openHostServices({
      runsDir: path.dirname(runDir),
      shell: 'test',
      access,
      recoverRuns: false,
      processName,
      warn: (message) => console.error(`Warning: ${message}`),
    });
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return null;
  }
}
