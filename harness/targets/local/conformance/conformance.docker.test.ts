import { inject } from 'vitest';
import { DockerEngine } from '../../../core/docker-engine.ts';
import { containerSandbox } from '../container-sandbox.ts';
import { defineConformanceSuite } from './suite.ts';

// The conformance suite (suite.ts) in container mode: the same captures through the same HTTP API server, the
// function in the Lambda stand-in image with the real runtime client. The expected answers are the captures and
// docs that sources.ts names for each fixture; nothing here is faked.
const engine = await DockerEngine.connect(process.env);
if (!engine) throw new Error('The Docker tier needs a Docker engine (its global setup checked for one).');
defineConformanceSuite(() =>
  containerSandbox({
    engine,
    image: inject('dockerImages').lambda,
    runId: `conformance-${process.pid}`,
    network: 'host',
    efsDir: () => undefined,
    fallbackUser: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  }),
);
