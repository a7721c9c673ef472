/**
 * Issue #14 item 13: commands that only read (classify, report) open the runs folder read-only:
 * they change no byte in it — no sibling run is marked interrupted, no lock is taken.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess';
import { metricsEvent, runRecord, tempRunsDir, writeRunFolder } from '../faults/faultHelpers';

let runsDir: string;

beforeEach(async () => {
  runsDir = await tempRunsDir('workbench-readonly-cli-');
});

afterEach(async () => {
  await fs.rm(runsDir, { recursive: true, force: true });
});

/** Every file under `dir` with its bytes (names of folders too). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = entry.isFile() ? await fs.readFile(file, 'utf8') : '<folder>';
  }
  return result;
}

describe('read-only commands write nothing (item 13)', () => {
  it(
    'classify and report leave every file of the runs folder as it was, sibling runs included',
    { timeout: 120_000 },
    async () => {
      const target = await writeRunFolder(runsDir, runRecord('target'), [metricsEvent('target', 1)]);
      // A sibling left running by a process that died: only a process that owns the folder may mark it.
      await writeRunFolder(runsDir, runRecord('sibling', { state: 'running', step: 4 }), [metricsEvent('sibling', 4)]);
      const before = await snapshot(runsDir);

      const classified = await runCli(['classify', '--run', target, path.join(runsDir, 'no-such-image.png')]);
      expect(classified.stderr).not.toMatch(/interrupted/);
      expect(await snapshot(runsDir)).toEqual(before);

      const report = await runCli([
        'report',
        '--run',
        target,
        '--csv',
        path.join(path.dirname(runsDir), `${path.basename(runsDir)}-metrics.csv`),
      ]);
      expect(report.code).toBe(0);
      expect(await snapshot(runsDir)).toEqual(before);
      await fs.rm(path.join(path.dirname(runsDir), `${path.basename(runsDir)}-metrics.csv`), { force: true });
    },
  );
});
