/**
 * The validating server side of WorkbenchApi that every transport (Electron IPC, the browser
 * shell's WebSocket, tests) calls: checks the method name and its arguments against `apiMethods`,
 * calls the host services, checks the result, and turns every failure into a WorkbenchApiError
 * whose message is a sentence fit to show the user.
 */
import { z } from 'zod';
import {
  apiMethods,
  pathMethodNames,
  WorkbenchApiError,
  type ApiMethodName,
  type Environment,
  type ExperimentInfo,
} from '../../core/contract/workbenchApi';
import { hostPathsOf } from '../../core/experiments/registry';
import type { RunEvent } from '../../core/contract/runEvent';
import type { OodService, PathGrant } from './oodService';
import type { EnsembleService } from './ensembleService';
import type { PosthocService } from './posthocService';
import type { ShiftService } from './shiftService';
import type { SweepService } from './sweepService';
import type { RunManager } from './runManager';

/** What the handler needs from the host: the run manager, plus facts only the shell knows. */
export interface WorkbenchServices {
  runs: Pick<
    RunManager,
    | 'listRuns'
    | 'getRun'
    | 'getRunEvents'
    | 'startRun'
    | 'stopRun'
    | 'pauseRun'
    | 'resumeRun'
    | 'deleteRun'
    | 'renameRun'
    | 'setRunTags'
    | 'subscribe'
  >;
  listExperiments(): ExperimentInfo[];
  environment(): Environment;
  /** Out-of-distribution images; a host without it answers those methods with an error. */
  ood?: Pick<
    OodService,
    | 'classifyImages'
    | 'classifyImageFiles'
    | 'classifyFiles'
    | 'calibrateThreshold'
    | 'evaluateOod'
    | 'getOodEvaluation'
    | 'getOodGallery'
  >;
  /** Deep ensembles combined from runs after training; a host without it answers with an error. */
  ensemble?: Pick<EnsembleService, 'combineRuns'>;
  /** Dataset shift; a host without it answers those methods with an error. */
  shift?: Pick<ShiftService, 'evaluateShift' | 'getShiftEvaluation' | 'getShiftProgress'>;
  /** Post-hoc fits stored with runs; a host without it answers with an error. */
  posthoc?: Pick<PosthocService, 'getPosthocFits' | 'fitPosthoc'>;
  /** Sweeps; a host without it answers those methods with an error. */
  sweeps?: Pick<SweepService, 'startSweep' | 'listSweeps' | 'getSweep'>;
  /** Problems to report that belong to no request (e.g. a corrupt run folder met while listing). */
  warn?(message: string): void;
}

/**
 * What the transport knows about who is calling. `pathGrant`: the caller may name host paths, and
 * these are the ones it may have read — Electron's window, for files its user dropped or picked.
 * Without it (the browser shell's token holders) the path methods do not exist for the caller.
 */
export interface ApiCaller {
  pathGrant?: PathGrant;
}

export interface ApiHandler {
  /** Validates and performs one request for `caller` (default: no path capability); rejects with a WorkbenchApiError. */
  call(method: string, args: unknown, caller?: ApiCaller): Promise<unknown>;
  /** Every (coalesced) run event from now on; returns the unsubscribe function. */
  onRunEvent(listener: (event: RunEvent) => void): () => void;
}

type Implementations = { [M in ApiMethodName]: (...args: z.infer<(typeof apiMethods)[M]['args']>) => Promise<unknown> };

export function createApiHandler(services: WorkbenchServices): ApiHandler {
  const implementationsFor = (caller: ApiCaller): Implementations => ({
    getEnvironment: async () => services.environment(),
    listExperiments: async () => services.listExperiments(),
    listRuns: async () => {
      // Damaged folders are part of the answer (the run list shows them with the reason), after the whole runs.
      const listing = await services.runs.listRuns();
      return [
        ...listing.runs,
        ...listing.damaged.map(({ id, reason, record }) =>
          record ? { ...record, damaged: { reason } } : { id, damaged: { reason } },
        ),
      ];
    },
    getRun: (id) => services.runs.getRun(id),
    getRunEvents: (id) => services.runs.getRunEvents(id),
    startRun: async (request) => {
      // A browser-shell token holder names no host path (DESIGN.md, security model): a run on a
      // user's IDX folder starts from the desktop app or the CLI, whose user chose the folder.
      const hostPaths = hostPathsOf(request.config);
      if (hostPaths.length > 0 && caller.pathGrant === undefined) {
        throw new WorkbenchApiError(
          `This shell cannot start a run that reads the host folder ${JSON.stringify(hostPaths[0])}: ` +
            'the browser shell never takes host paths. Use a bundled dataset here, or start the run from the ' +
            'desktop app or with `npm run train -- --dataset idx:DIR`.',
          'startRun',
        );
      }
      return services.runs.startRun(request);
    },
    stopRun: async (id) => {
      await services.runs.stopRun(id);
      return null;
    },
    pauseRun: async (id) => {
      await services.runs.pauseRun(id);
      return null;
    },
    resumeRun: (id) => services.runs.resumeRun(id),
    deleteRun: async (id) => {
      await services.runs.deleteRun(id);
      return null;
    },
    renameRun: (id, name) => services.runs.renameRun(id, name),
    setRunTags: (id, tags) => services.runs.setRunTags(id, tags),
    classifyImages: (id, images, options) => ood().classifyImages(id, images, options),
    classifyImageFiles: (id, files, options) => ood().classifyImageFiles(id, files, options),
    // call() lets no caller without a grant get here; `() => false` is the belt to those braces.
    classifyFiles: (id, files, options) => ood().classifyFiles(id, files, options, caller.pathGrant ?? (() => false)),
    calibrateThreshold: (id) => ood().calibrateThreshold(id),
    evaluateOod: (id) => ood().evaluateOod(id),
    getOodEvaluation: (id) => ood().getOodEvaluation(id),
    getOodGallery: () => ood().getOodGallery(),
    evaluateShift: (id) => shift().evaluateShift(id),
    getShiftEvaluation: (id) => shift().getShiftEvaluation(id),
    getShiftProgress: async (id) => shift().getShiftProgress(id),
    getPosthocFits: async (id) => {
      await services.runs.getRun(id); // an unknown run gets the store's "no such run"
      return posthoc().getPosthocFits(id);
    },
    fitPosthoc: async (id, method) => {
      // Beside the app's training worker: never a second thread loading native TensorFlow.
      const { fit, notStored } = await posthoc().fitPosthoc(id, method, { besideTrainingWorker: true });
      if (notStored)
        throw new WorkbenchApiError(
          `The fit was computed but not stored with run "${id}": ${notStored}.`,
          'fitPosthoc',
        );
      return fit;
    },
    // A caller that may name no host path starts no sweep whose runs read a host folder (as startRun).
    startSweep: (file) => sweeps().startSweep(file, { allowHostPaths: caller.pathGrant !== undefined }),
    listSweeps: () => sweeps().listSweeps(),
    getSweep: (id) => sweeps().getSweep(id),
    combineRunsIntoEnsemble: (ids, name) => {
      if (!services.ensemble) throw new WorkbenchApiError('This workbench host cannot combine runs into an ensemble.');
      return services.ensemble.combineRuns(ids, name);
    },
  });
  function sweeps(): NonNullable<WorkbenchServices['sweeps']> {
    if (!services.sweeps) throw new WorkbenchApiError('This workbench host has no sweep service.');
    return services.sweeps;
  }
  function posthoc(): NonNullable<WorkbenchServices['posthoc']> {
    if (!services.posthoc) throw new WorkbenchApiError('This workbench host keeps no post-hoc fits.');
    return services.posthoc;
  }
  function shift(): NonNullable<WorkbenchServices['shift']> {
    if (!services.shift) throw new WorkbenchApiError('This workbench host has no dataset-shift service.');
    return services.shift;
  }
  function ood(): NonNullable<WorkbenchServices['ood']> {
    if (!services.ood) throw new WorkbenchApiError('This workbench host has no image classification service.');
    return services.ood;
  }

  async function call(method: string, args: unknown, caller: ApiCaller = {}): Promise<unknown> {
    // A caller that may name no host path does not have the path methods: they are unknown to it.
    const known = (name: string) =>
      Object.hasOwn(apiMethods, name) &&
      (caller.pathGrant !== undefined || !pathMethodNames.includes(name as ApiMethodName));
    if (typeof method !== 'string' || !known(method)) {
      const shown = typeof method === 'string' ? `"${method.slice(0, 64)}"` : String(method);
      throw new WorkbenchApiError(
        `There is no API method ${shown}; the methods are ${Object.keys(apiMethods).filter(known).join(', ')}.`,
      );
    }
    const name = method as ApiMethodName;
    const schema = apiMethods[name];
    if (!Array.isArray(args)) {
      throw new WorkbenchApiError(`${name}: the arguments must be a list, found ${describeValue(args)}.`, name);
    }
    const parsedArgs = schema.args.safeParse(args);
    if (!parsedArgs.success) {
      throw new WorkbenchApiError(`${name}: the arguments are not valid: ${describeIssues(parsedArgs.error)}.`, name);
    }
    let result: unknown;
    try {
      const implementation = implementationsFor(caller)[name] as (...values: unknown[]) => Promise<unknown>;
      result = await implementation(...(parsedArgs.data as unknown[]));
    } catch (error) {
      if (error instanceof WorkbenchApiError) throw error;
      throw new WorkbenchApiError(`${name}: ${error instanceof Error ? error.message : String(error)}`, name);
    }
    const parsedResult = schema.result.safeParse(result);
    if (!parsedResult.success) {
      // A host bug, not the caller's: say so rather than hand the renderer something off-contract.
      throw new WorkbenchApiError(
        `${name}: the workbench produced a result that does not match the API (${describeIssues(parsedResult.error)}); this is a bug in the workbench.`,
        name,
      );
    }
    return parsedResult.data;
  }

  return {
    call,
    onRunEvent: (listener) => services.runs.subscribe(listener),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 4)
    .map((issue) => {
      const where = issue.path.length ? `argument ${issue.path.map(String).join('.')}` : 'the argument list';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string "${value.slice(0, 40)}"`;
  return `a ${typeof value}`;
}
