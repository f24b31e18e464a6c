/**
 * Re-synthesis for watch mode, in a process of its own: an edited `infra/` module cannot be imported again
 * into the process that loaded it (Node caches ES modules for the life of the process). Argument: the
 * SynthOptions as JSON. On failure the last line of stderr carries the error.
 */
import { type SynthOptions, synthesize } from '../../model/assembly.ts';
import { SYNTH_ERROR_PREFIX } from './resynth.ts';

try {
  await synthesize(JSON.parse(process.argv[2] ?? '{}') as SynthOptions);
} catch (error) {
  process.stderr.write(`\n${SYNTH_ERROR_PREFIX}${((error as Error).message ?? String(error)).split('\n')[0]}\n`);
  process.exitCode = 1;
}
