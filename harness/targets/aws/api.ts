import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type StackEvent,
  waitUntilStackDeleteComplete,
} from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, GetFunctionCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AccountConcurrency } from './concurrency.ts';
import type { CallerIdentity } from './guard.ts';

/**
 * Every AWS call the aws target and the sweep make besides the CDK CLI, behind one narrow interface: the
 * target's and the sweep's logic is tested with fakes, and this file is the only place that knows the SDK.
 * Credentials come from the SDK's default chain; the region is always passed in (never a default).
 */

export interface StackSummary {
  readonly name: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt?: Date;
}

/** What AWS reported, ready to end a sentence of ours: CloudFormation ends a StackStatusReason with ". ". */
export function withoutFinalPeriod(text: string): string {
  return text.replace(/[.\s]+$/, '');
}

/** How a bounded wait ended. `detail` says what AWS last reported, for the error message. */
export type WaitOutcome = { readonly ok: true } | { readonly ok: false; readonly timedOut: boolean; readonly detail: string };

export interface AwsApi {
  callerIdentity(): Promise<CallerIdentity>;
  /** The stack's status, or undefined when no such stack exists (deleted ones included). */
  stack(stackName: string): Promise<StackSummary | undefined>;
  /** Every stack that is not deleted, with its tags. */
  listStacks(): Promise<StackSummary[]>;
  /** The stack's `*_FAILED` events, oldest first: the first is usually the cause. [] when the stack is gone. */
  failedStackEvents(stackName: string): Promise<string[]>;
  /** Starts deleting the stack (CloudFormation uses the role the stack was deployed with). */
  deleteStack(stackName: string): Promise<void>;
  /** Waits until the stack is gone; DELETE_FAILED ends the wait at once. */
  waitStackDeleted(stackName: string, maxWaitSeconds: number): Promise<WaitOutcome>;
  /** Waits until the function is `Active` (a VPC function is `Pending` while Lambda makes its network interfaces). */
  waitFunctionActive(functionName: string, maxWaitSeconds: number): Promise<WaitOutcome>;
  /** The account's Lambda concurrency quota in the region (Lambda GetAccountSettings). */
  accountConcurrency(): Promise<AccountConcurrency>;
}

/** SDK clients for one region; tests pass objects that answer `send` instead. */
export interface AwsClients {
  readonly sts: Pick<STSClient, 'send'>;
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
  readonly lambda: Pick<LambdaClient, 'send'>;
}

/** Events of the stack's last operation read on failure: enough to reach the first failure of a fresh stack. */
const EVENTS_READ = 100;
const FAILED_EVENTS_SHOWN = 10;

export function sdkClients(region: string): AwsClients {
  return { sts: new STSClient({ region }), cloudFormation: new CloudFormationClient({ region }), lambda: new LambdaClient({ region }) };
}

export function awsApi(region: string, clients: AwsClients = sdkClients(region)): AwsApi {
  const { sts, cloudFormation: cfn, lambda } = clients;
  // The waiter is typed for the full client but only ever calls `send`.
  const cfnClient = cfn as CloudFormationClient;

  const stack = async (stackName: string): Promise<StackSummary | undefined> => {
    try {
      const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
      const found = Stacks[0];
      return found ? summary(found) : undefined;
    } catch (error) {
      if (isMissingStack(error)) return undefined;
      throw error;
    }
  };

  return {
    callerIdentity: async () => {
      const { Account, Arn } = await sts.send(new GetCallerIdentityCommand({}));
      return { account: Account ?? '', arn: Arn ?? '' };
    },

    stack,

    listStacks: async () => {
      // A NextToken loop rather than the SDK's paginator, which accepts only a real client.
      const stacks: StackSummary[] = [];
      let nextToken: string | undefined;
      do {
        const page = await cfn.send(new DescribeStacksCommand(nextToken ? { NextToken: nextToken } : {}));
        for (const s of page.Stacks ?? []) stacks.push(summary(s));
        nextToken = page.NextToken;
      } while (nextToken);
      return stacks;
    },

    failedStackEvents: async (stackName) => {
      let events: StackEvent[];
      try {
        ({ StackEvents: events = [] } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName })));
      } catch (error) {
        if (isMissingStack(error)) return [];
        throw error;
      }
      return events
        .slice(0, EVENTS_READ)
        .filter((e) => e.ResourceStatus?.endsWith('_FAILED'))
        .reverse()
        .slice(0, FAILED_EVENTS_SHOWN)
        .map((e) => `${e.Timestamp?.toISOString() ?? ''} ${e.LogicalResourceId} (${e.ResourceType}) ${e.ResourceStatus}: ${e.ResourceStatusReason ?? ''}`.trim());
    },

    deleteStack: async (stackName) => {
      await cfn.send(new DeleteStackCommand({ StackName: stackName }));
    },

    waitStackDeleted: async (stackName, maxWaitSeconds) => {
      try {
        // DescribeStacks every 15-60 s: a deletion waiting for Lambda's network interfaces takes many minutes.
        await waitUntilStackDeleteComplete({ client: cfnClient, maxWaitTime: maxWaitSeconds, minDelay: 15, maxDelay: 60 }, { StackName: stackName });
        return { ok: true };
      } catch (error) {
        // The waiter's error is a JSON dump; one more look at the stack says it plainly.
        const timedOut = (error as Error).name === 'TimeoutError';
        let now: StackSummary | undefined;
        try {
          now = await stack(stackName);
        } catch (e) {
          return { ok: false, timedOut, detail: `DescribeStacks failed: ${(e as Error).name}: ${(e as Error).message}` };
        }
        if (!now) return { ok: true };
        return { ok: false, timedOut, detail: `${now.status}${now.statusReason ? `: ${now.statusReason}` : ''}` };
      }
    },

    waitFunctionActive: (functionName, maxWaitSeconds) => waitUntilActive(lambda, functionName, { maxWaitSeconds, minDelay: 5, maxDelay: 30 }),

    accountConcurrency: async () => {
      const { AccountLimit: limit } = await lambda.send(new GetAccountSettingsCommand({}));
      const { ConcurrentExecutions, UnreservedConcurrentExecutions } = limit ?? {};
      if (ConcurrentExecutions === undefined || UnreservedConcurrentExecutions === undefined) {
        throw new Error(`Lambda GetAccountSettings answered without AccountLimit.ConcurrentExecutions / UnreservedConcurrentExecutions: ${JSON.stringify(limit)}`);
      }
      return { limit: ConcurrentExecutions, unreserved: UnreservedConcurrentExecutions };
    },
  };
}

/**
 * Waits until the function is `Active` with Lambda's own waiter, and when it is not, says what Lambda last
 * reported (the waiter's error is a JSON dump). Shared with the LocalStack targets (localstack/emulator-api.ts).
 */
export async function waitUntilActive(
  lambda: Pick<LambdaClient, 'send'>,
  functionName: string,
  wait: { readonly maxWaitSeconds: number; readonly minDelay: number; readonly maxDelay: number },
): Promise<WaitOutcome> {
  try {
    // The waiter is typed for the full client but only ever calls `send`.
    const client = lambda as LambdaClient;
    await waitUntilFunctionActiveV2({ client, maxWaitTime: wait.maxWaitSeconds, minDelay: wait.minDelay, maxDelay: wait.maxDelay }, { FunctionName: functionName });
    return { ok: true };
  } catch (error) {
    const detail = await lambda
      .send(new GetFunctionCommand({ FunctionName: functionName }))
      .then(({ Configuration: c }) => `State ${c?.State ?? 'unknown'}${c?.StateReasonCode ? ` (${c.StateReasonCode})` : ''}${c?.StateReason ? `: ${c.StateReason}` : ''}`)
      .catch((e: Error) => `GetFunction failed: ${e.name}: ${e.message}`);
    return { ok: false, timedOut: (error as Error).name === 'TimeoutError', detail };
  }
}

function summary(s: {
  StackName?: string;
  StackStatus?: string;
  StackStatusReason?: string;
  Tags?: { Key?: string; Value?: string }[];
  CreationTime?: Date;
}): StackSummary {
  return {
    name: s.StackName ?? '',
    status: s.StackStatus ?? 'UNKNOWN',
    ...(s.StackStatusReason ? { statusReason: s.StackStatusReason } : {}),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    ...(s.CreationTime ? { createdAt: s.CreationTime } : {}),
  };
}

// CloudFormation answers a name that matches no stack with a ValidationError "Stack with id … does not exist".
function isMissingStack(error: unknown): boolean {
  const { name, message } = error as { name?: string; message?: string };
  return name === 'ValidationError' && /does not exist/.test(message ?? '');
}
