import { DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { type AwsClients, awsApi } from './api.ts';

// The SDK calls against clients that answer `send` from a table: what AWS would say, without AWS.

type Answer = (input: Record<string, unknown>) => unknown;

function clients(answers: Map<abstract new (...args: never[]) => unknown, Answer>): AwsClients {
  const send = async (command: { input: Record<string, unknown> }) => {
    for (const [type, answer] of answers) if (command instanceof type) return answer(command.input);
    throw new Error(`unexpected ${command.constructor.name}`);
  };
  const client = { send } as never;
  return { sts: client, cloudFormation: client, lambda: client };
}

const missing = () => {
  throw Object.assign(new Error('Stack with id harness-x does not exist'), { name: 'ValidationError' });
};

describe('awsApi', () => {
  it('should read the caller identity', async () => {
    const api = awsApi('eu-west-1', clients(new Map([[GetCallerIdentityCommand, () => ({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/me' })]])));
    await expect(api.callerIdentity()).resolves.toEqual({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/me' });
  });

  it('should read a stack with its tags, and undefined for a stack that does not exist', async () => {
    const found = awsApi(
      'eu-west-1',
      clients(new Map([[DescribeStacksCommand, () => ({ Stacks: [{ StackName: 'harness-x', StackStatus: 'CREATE_COMPLETE', Tags: [{ Key: 'harness', Value: 'apigw-vpc-lambda-efs' }] }] })]])),
    );
    await expect(found.stack('harness-x')).resolves.toEqual({ name: 'harness-x', status: 'CREATE_COMPLETE', tags: { harness: 'apigw-vpc-lambda-efs' } });
    await expect(awsApi('eu-west-1', clients(new Map([[DescribeStacksCommand, missing]]))).stack('harness-x')).resolves.toBeUndefined();
  });

  it('should list every page of stacks', async () => {
    const api = awsApi(
      'eu-west-1',
      clients(
        new Map([
          [
            DescribeStacksCommand,
            (input) =>
              input.NextToken
                ? { Stacks: [{ StackName: 'b', StackStatus: 'DELETE_FAILED' }] }
                : { Stacks: [{ StackName: 'a', StackStatus: 'CREATE_COMPLETE' }], NextToken: 'page2' },
          ],
        ]),
      ),
    );
    expect((await api.listStacks()).map((s) => `${s.name} ${s.status}`)).toEqual(['a CREATE_COMPLETE', 'b DELETE_FAILED']);
  });

  it("should give the stack's failed events oldest first, and none for a stack that is gone", async () => {
    const event = (id: string, status: string, reason = '') => ({
      LogicalResourceId: id,
      ResourceType: 'AWS::Lambda::Function',
      ResourceStatus: status,
      ResourceStatusReason: reason,
      Timestamp: new Date('2026-11-25T10:00:00Z'),
    });
    const api = awsApi(
      'eu-west-1',
      clients(
        new Map([
          [
            DescribeStackEventsCommand,
            () => ({
              // Newest first, as CloudFormation answers.
              StackEvents: [event('Stack', 'ROLLBACK_COMPLETE'), event('Api', 'CREATE_FAILED', 'Resource creation cancelled'), event('Fn', 'CREATE_FAILED', 'EFS mount failed')],
            }),
          ],
        ]),
      ),
    );
    expect(await api.failedStackEvents('harness-x')).toEqual([
      '2026-11-25T10:00:00.000Z Fn (AWS::Lambda::Function) CREATE_FAILED: EFS mount failed',
      '2026-11-25T10:00:00.000Z Api (AWS::Lambda::Function) CREATE_FAILED: Resource creation cancelled',
    ]);
    await expect(awsApi('eu-west-1', clients(new Map([[DescribeStackEventsCommand, missing]]))).failedStackEvents('harness-x')).resolves.toEqual([]);
  });

  it('should end the deletion wait at once on DELETE_FAILED, with the reason, and succeed when the stack is gone', async () => {
    const failed = awsApi(
      'eu-west-1',
      clients(new Map([[DescribeStacksCommand, () => ({ Stacks: [{ StackName: 'harness-x', StackStatus: 'DELETE_FAILED', StackStatusReason: 'The following resource(s) failed to delete: [LambdaSg]' }] })]])),
    );
    await expect(failed.waitStackDeleted('harness-x', 60)).resolves.toEqual({
      ok: false,
      timedOut: false,
      detail: 'DELETE_FAILED: The following resource(s) failed to delete: [LambdaSg]',
    });
    await expect(awsApi('eu-west-1', clients(new Map([[DescribeStacksCommand, missing]]))).waitStackDeleted('harness-x', 60)).resolves.toEqual({ ok: true });
  });

  it("should end the Active wait at once when the function failed, with Lambda's reason", async () => {
    const api = awsApi(
      'eu-west-1',
      clients(new Map([[GetFunctionCommand, () => ({ Configuration: { State: 'Failed', StateReasonCode: 'EniLimitExceeded', StateReason: 'ENI limit reached' } })]])),
    );
    await expect(api.waitFunctionActive('harness-x-myHelloVPCLambda', 60)).resolves.toEqual({
      ok: false,
      timedOut: false,
      detail: 'State Failed (EniLimitExceeded): ENI limit reached',
    });
  });

  it("should read the account's concurrency quota from GetAccountSettings", async () => {
    // Shape of the answer from the Lambda API reference, GetAccountSettings (Response Syntax:
    // AccountLimit {CodeSizeUnzipped, CodeSizeZipped, ConcurrentExecutions, TotalCodeSize,
    // UnreservedConcurrentExecutions}, AccountUsage {FunctionCount, TotalCodeSize});
    // https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html, and @aws-sdk/client-lambda
    // 3.1164 models_0.d.ts `AccountLimit`). 10 stands for a new account with a low quota.
    const settings = {
      AccountLimit: { TotalCodeSize: 80530636800, CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
      AccountUsage: { TotalCodeSize: 1024, FunctionCount: 2 },
    };
    const api = awsApi('eu-west-1', clients(new Map([[GetAccountSettingsCommand, () => settings]])));
    await expect(api.accountConcurrency()).resolves.toEqual({ limit: 10, unreserved: 10 });
    const empty = awsApi('eu-west-1', clients(new Map([[GetAccountSettingsCommand, () => ({})]])));
    await expect(empty.accountConcurrency()).rejects.toThrow(/without AccountLimit.ConcurrentExecutions/);
  });
});
