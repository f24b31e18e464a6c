/**
 * A test stack on real AWS is found again by its name and its tags alone: the run that made it may have been
 * killed before it could delete it, and the sweep (harness/targets/aws/sweep.ts) must then recognize it, and only it.
 */

/** Every harness stack's name starts with this. The sweep requires it besides the tag. */
export const STACK_NAME_PREFIX = 'harness-';

/** The tag the sweep keys on: a stack without it is never touched. */
export const HARNESS_TAG = 'harness';
export const HARNESS_TAG_VALUE = 'apigw-vpc-lambda-efs';
export const RUN_ID_TAG = 'harness:run-id';
/** ISO 8601 time after which the sweep may delete the stack. */
export const EXPIRES_AT_TAG = 'harness:expires-at';

/**
 * The longest stack name that keeps `${stackName}-myHelloVPCLambda` within Lambda's 64 characters (the
 * inspector's suffix is shorter). infra/stack.ts refuses longer names too; this fails before synthesis, with
 * the run id in the message.
 */
export const MAX_STACK_NAME_LENGTH = 64 - '-myHelloVPCLambda'.length;

/** Expiry when HARNESS_AWS_TTL is unset: a deploy, the scenarios and a slow VPC deletion fit in it. */
export const DEFAULT_TTL = '3h';
/** Below this, a sweep could delete the stack of a run that is still using it. */
const MIN_TTL_MS = 60 * 60_000;
/** Above this, a typo (`300d`) would hide a forgotten stack from the sweep for a long time. */
const MAX_TTL_MS = 7 * 24 * 60 * 60_000;

const UNIT_MS = { m: 60_000, h: 60 * 60_000, d: 24 * 60 * 60_000 } as const;

/** `harness-<runId>`: a valid CloudFormation stack name whose function names fit Lambda's limit. */
export function awsStackName(runId: string): string {
  const name = `${STACK_NAME_PREFIX}${runId}`;
  // CloudFormation: a letter first, then letters, digits and hyphens.
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(name)) {
    throw new Error(`Run id "${runId}" makes the stack name "${name}", which CloudFormation rejects: use letters, digits and hyphens only.`);
  }
  if (name.length > MAX_STACK_NAME_LENGTH) {
    throw new Error(
      `Run id "${runId}" makes the stack name "${name}" (${name.length} characters); at most ${MAX_STACK_NAME_LENGTH} keep ` +
        `"${name}-myHelloVPCLambda" within Lambda's 64: use a run id of at most ${MAX_STACK_NAME_LENGTH - STACK_NAME_PREFIX.length} characters.`,
    );
  }
  return name;
}

/** HARNESS_AWS_TTL (`90m`, `3h`, `1d`; unset or empty: 3h) in milliseconds. */
export function parseTtl(value: string | undefined): number {
  const text = value?.trim() || DEFAULT_TTL;
  const match = /^(\d+)([mhd])$/.exec(text);
  if (!match) {
    throw new Error(`HARNESS_AWS_TTL="${value}" is not a duration: use minutes, hours or days like 90m, 3h or 1d (default ${DEFAULT_TTL}).`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms < MIN_TTL_MS || ms > MAX_TTL_MS) {
    throw new Error(
      `HARNESS_AWS_TTL="${value}" is out of range: use 1h to 7d. Shorter lets the sweep delete a stack that a run still uses ` +
        '(deploy, scenarios and deletion take up to an hour); longer leaves forgotten stacks billing for days.',
    );
  }
  return ms;
}

/** When a stack deployed at `now` expires. */
export function expiryTime(now: Date, ttl: string | undefined): Date {
  return new Date(now.getTime() + parseTtl(ttl));
}

/** The stack's tags (CloudFormation copies them onto every resource that takes tags). */
export function harnessTags(runId: string, expiresAt: Date): Record<string, string> {
  return { [HARNESS_TAG]: HARNESS_TAG_VALUE, [RUN_ID_TAG]: runId, [EXPIRES_AT_TAG]: expiresAt.toISOString() };
}
