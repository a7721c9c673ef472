/**
 * `npm run lint:electron`: runs Doyensec's electronegativity (https://github.com/doyensec/electronegativity)
 * over the Electron-facing sources and fails on any HIGH or MEDIUM finding that is not an
 * accepted false positive in build/electronegativity.json (each with its reason, matched by check,
 * file and a snippet of the flagged line so a new finding of the same kind still fails).
 *
 * Why a wrapper instead of the CLI: the 1.10.3 CLI needs commander < 7 but does not declare it,
 * and breaks on the commander this project uses; its runner is called directly instead. What is
 * scanned: electron/ (main, preload, shell, host, worker), core/contract/ (what the preload
 * bundles), renderer/index.html and renderer/src/ (.ts only: the tool does not read .vue), and
 * package.json — copied to a temporary folder because the tool scans every file under its input.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const runElectronegativity = require('@doyensec/electronegativity/dist/runner.js');
const accepted = JSON.parse(readFileSync(path.join(rootDir, 'build', 'electronegativity.json'), 'utf8'));
const electronVersion = JSON.parse(
  readFileSync(path.join(rootDir, 'node_modules', 'electron', 'package.json'), 'utf8'),
).version;

const scanned = ['electron', 'core/contract', 'renderer/index.html', 'renderer/src', 'package.json'];
const stage = mkdtempSync(path.join(os.tmpdir(), 'workbench-electronegativity-'));
try {
  for (const entry of scanned) cpSync(path.join(rootDir, entry), path.join(stage, entry), { recursive: true });
  const result = await runElectronegativity(
    {
      input: stage,
      isRelative: true,
      isVerbose: false,
      isSarif: false,
      customScan: [],
      // Asks GitHub for Electron releases newer than ours: needs the network, and says nothing about our code.
      excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    },
    false,
  );

  const serious = result.issues.filter((issue) => ['HIGH', 'MEDIUM'].includes(issue.severity.name));
  const explained = [];
  const failing = [];
  for (const issue of serious) {
    const file = issue.file.split(path.sep).join('/');
    const line =
      issue.location.line > 0
        ? (readFileSync(path.join(stage, file), 'utf8').split('\n')[issue.location.line - 1] ?? '')
        : '';
    const reason = accepted.falsePositives.find(
      (entry) => entry.check === issue.id && entry.file === file && line.includes(entry.lineContains),
    );
    (reason ? explained : failing).push({ issue, file, line, reason });
  }
  const describe = ({ issue, file, line }) =>
    `${issue.id} (${issue.severity.name}, ${issue.confidence.name}) at ${file}:${issue.location.line}:${issue.location.column}  ${line.trim()}`;
  console.log(
    `electronegativity ${require('@doyensec/electronegativity/package.json').version}: ${result.atomicChecks} atomic and ${result.globalChecks} global checks against Electron ${electronVersion}.`,
  );
  for (const error of result.errors) console.log(`  could not parse ${error.file}: ${error.message}`);
  const lower = result.issues.length - serious.length;
  console.log(
    `  ${serious.length} high/medium findings (${explained.length} documented false positives), ${lower} low/informational.`,
  );
  for (const issue of result.issues.filter((candidate) => !serious.includes(candidate))) {
    console.log(`  ${issue.severity.name.toLowerCase()}: ${issue.id} at ${issue.file}:${issue.location.line}`);
  }
  for (const entry of explained)
    console.log(`  accepted: ${describe(entry)}\n            because ${entry.reason.reason}`);
  for (const entry of failing)
    console.error(
      `  FINDING:  ${describe(entry)}\n            ${entry.issue.description} (${entry.issue.shortenedURL})`,
    );
  if (result.errors.some((error) => !error.tolerable)) {
    console.error('Some files could not be parsed, so they were not checked.');
    process.exitCode = 1;
  }
  if (failing.length > 0) process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
