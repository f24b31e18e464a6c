import { defineConformanceSuite } from './suite.ts';

// The conformance suite (suite.ts) in process mode, the local target's default.
defineConformanceSuite();
