import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PatternModel, readModel, type SynthOptions } from '../../model/assembly.ts';

/** How synth-child.ts marks the error line on stderr. */
export const SYNTH_ERROR_PREFIX = 'SYNTH-ERROR ';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'synth-child.ts');

/**
 * Synthesizes the app again after an edit of `infra/` (in a child process: see synth-child.ts) and reads the
 * new model. Aborting kills the child. Rejects with the app's own error message (a TypeScript syntax error,
 * a CDK validation error, a bundling error).
 */
export function resynthesize(options: SynthOptions, signal: AbortSignal): Promise<PatternModel> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, JSON.stringify(options)], { signal, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return resolve(readModel(options.outdir, options.stackName));
      if (signal.aborted) return reject(new Error('synthesis stopped: the watch loop is closing'));
      const lines = stderr.trim().split('\n');
      const marked = lines.findLast((l) => l.startsWith(SYNTH_ERROR_PREFIX))?.slice(SYNTH_ERROR_PREFIX.length);
      reject(new Error(marked ?? lines.slice(-5).join(' | ') ?? error.message));
    });
  });
}
