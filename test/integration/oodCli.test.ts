/**
 * `npm run classify`: every file gets one JSON line (or one text line), good files a verdict, every
 * kind of bad input its own error; the exit code says whether all were classified.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess';
import { writeLenet5RunWithCheckpoint } from '../fixtures/lenet5Checkpoint';
import { writeOodFixtureFiles, type OodFixtureFiles } from '../fixtures/oodImageFiles';

let root: string;
let runDir: string;
let files: OodFixtureFiles;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-classify-cli-'));
  await writeLenet5RunWithCheckpoint(path.join(root, 'runs'), 'lenet5-cli');
  runDir = path.join(root, 'runs', 'lenet5-cli');
  files = await writeOodFixtureFiles(path.join(root, 'files'));
}, 60_000);
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const classify = (args: string[]) => runCli(['classify', ...args]);

describe('npm run classify', { timeout: 120_000 }, () => {
  it('prints one JSON object per file, verdicts for images and an error for each bad input', async () => {
    const paths = [
      files.digit,
      files.noise,
      files.letter,
      files.notAnImage,
      files.corrupt,
      files.truncated,
      files.empty,
      files.declaredHuge,
      files.overSized,
      files.missing,
      files.folder,
      files.blank,
    ];
    const { code, stdout, stderr } = await classify([
      '--run',
      runDir,
      '--draws',
      '10',
      '--threshold',
      '0.3',
      '--json',
      ...paths,
    ]);
    expect(code, stderr).toBe(1); // some files could not be classified
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.file)).toEqual(paths);
    for (const line of lines.slice(0, 3)) {
      expect(line).toMatchObject({ ok: true, error: null });
      for (const key of ['predicted', 'maxProb', 'entropy', 'expectedEntropy', 'mutualInformation'])
        expect(typeof line[key]).toBe('number');
      expect(line.refused).toBe(line.maxProb < 0.3);
      expect(line.probs).toHaveLength(10);
    }
    const errors = Object.fromEntries(lines.slice(3).map((line) => [path.basename(line.file), line]));
    for (const line of Object.values(errors))
      expect(line).toMatchObject({ ok: false, predicted: null, refused: null, probs: null });
    expect(errors['notes.txt'].error).toMatch(/is not an image this workbench can read/);
    expect(errors['corrupt.png'].error).toMatch(/could not be decoded .*damaged or truncated/);
    expect(errors['truncated.png'].error).toMatch(/could not be decoded .*damaged or truncated/);
    expect(errors['empty.png'].error).toContain('is empty (0 bytes)');
    expect(errors['bomb-20000x20000.png'].error).toContain('declares 20000×20000 pixels');
    expect(errors['huge-51MB.png'].error).toContain('the largest image file accepted is 50.0 MB');
    expect(errors['does-not-exist.png'].error).toContain('cannot be read (no such file)');
    expect(errors['a-folder.png'].error).toContain('is a folder, not an image file');
    expect(errors['blank.png'].error).toContain('is blank');
  });

  it('prints readable lines without --json and exits 0 when every file was classified', async () => {
    const { code, stdout, stderr } = await classify(['--run', runDir, '--draws', '5', files.digit, files.letter]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('checkpoint at step 400, T = 5 draws, refusal below 0.2');
    expect(stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(stdout).toMatch(
      /digit-7\.png: (predicted \d|REFUSED) \(max p \d\.\d{3} for \d\), entropy \d\.\d{3} = aleatoric \d\.\d{3} \+ epistemic \(MI\) \d\.\d{3} nats/,
    );
  });

  it('refuses a folder that is not a run and malformed options, with exit code 2 or a usage error', async () => {
    const notARun = await classify(['--run', root, files.digit]);
    expect(notARun.code).toBe(2);
    expect(notARun.stderr).toContain(`is not a run folder (it has no run.json)`);
    const badDraws = await classify(['--run', runDir, '--draws', 'many', files.digit]);
    expect(badDraws.code).not.toBe(0);
    expect(badDraws.stderr).toContain('"many" is not a whole number of draws from 1 to 200.');
    const badThreshold = await classify(['--run', runDir, '--threshold', '1.5', files.digit]);
    expect(badThreshold.stderr).toContain('"1.5" is not a probability between 0 and 1.');
  });
});
