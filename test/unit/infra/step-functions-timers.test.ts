import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { allStates, type AslState } from '#infra/asl.ts';
import { LocalClock } from '#infra/local/clock.ts';
import { decodeTaskToken, LocalTimers, waitEnd } from '#infra/local/step-functions-timers.ts';

const DAY = 86_400_000;

function run(definition: { StartAt: string; States: Record<string, AslState> }, timers: LocalTimers, invoke: (resource: string, input: unknown) => Promise<unknown>) {
  const handlers = timers.rewrite(allStates(definition.States), invoke);
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  return machine.run({ until: '' } as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: { Execution: { Id: 'arn:aws:states:us-east-1:000000000000:execution:strata-m:run-1' } } as never,
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('local Wait states and callback tasks (infra/local/step-functions-timers.ts)', () => {
  it('a 30-day Wait ends when the local clock moves 31 days, not in real time', async () => {
    const clock = new LocalClock();
    const timers = new LocalTimers(clock);
    const execution = run({ StartAt: 'Window', States: { Window: { Type: 'Wait', Seconds: 30 * 86_400, Next: 'Done' }, Done: { Type: 'Pass', Result: 'done', End: true } } }, timers, async () => undefined);
    let finished = false;
    void execution.result.then(() => (finished = true));
    await settle();
    expect(finished).toBe(false);
    expect(timers.isParked('arn:aws:states:us-east-1:000000000000:execution:strata-m:run-1')).toBe(true);
    clock.advance(29 * DAY);
    await settle();
    expect(finished).toBe(false);
    clock.advance(2 * DAY);
    expect(await execution.result).toBe('done');
  });

  it('TimestampPath is read from the input, after InputPath', async () => {
    const clock = new LocalClock();
    const until = new Date(clock.now().getTime() + 3 * DAY).toISOString();
    const timers = new LocalTimers(clock);
    const definition = {
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Result: { window: { until } }, Next: 'Window' },
        Window: { Type: 'Wait', InputPath: '$.window', TimestampPath: '$.until', End: true },
      },
    };
    const execution = run(definition, timers, async () => undefined);
    await settle();
    clock.advance(3 * DAY + 1000);
    expect(await execution.result).toEqual({ until });
  });

  it('a callback task hands its token to the integration and continues with SendTaskSuccess output', async () => {
    const clock = new LocalClock();
    const timers = new LocalTimers(clock);
    let token = '';
    const definition = {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token', 'until.$': '$.until' } },
          End: true,
        },
      },
    };
    const execution = run(definition, timers, async (resource, input) => {
      expect(resource).toBe('arn:aws:states:::lambda:invoke');
      token = (input as { Payload: { token: string } }).Payload.token;
      return {};
    });
    await settle();
    expect(decodeTaskToken(token)).toMatchObject({ execution: 'arn:aws:states:us-east-1:000000000000:execution:strata-m:run-1', state: 'Approve' });
    timers.sendTaskSuccess(token, '{"approved":true}');
    expect(await execution.result).toEqual({ approved: true });
    expect(() => timers.sendTaskSuccess(token, '{}')).toThrow(/Task does not exist/);
    expect(() => timers.sendTaskSuccess('not-a-token', '{}')).toThrow(/Invalid token/);
  });

  it('SendTaskFailure fails the task with its error; TimeoutSeconds counts on the local clock', async () => {
    const clock = new LocalClock();
    const timers = new LocalTimers(clock);
    const tokens: string[] = [];
    const state = (timeout?: number): AslState => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
      ...(timeout ? { TimeoutSeconds: timeout } : {}),
      End: true,
    });
    const collect = async (_resource: string, input: unknown) => void tokens.push((input as { Payload: { token: string } }).Payload.token);
    const rejected = run({ StartAt: 'A', States: { A: state() } }, timers, collect);
    await settle();
    timers.sendTaskFailure(tokens[0]!, 'Rejected', 'no');
    await expect(rejected.result).rejects.toMatchObject({ cause: { name: 'Rejected', message: 'no' } });

    const timed = run({ StartAt: 'A', States: { A: state(3600) } }, timers, collect);
    await settle();
    clock.advance(3601_000);
    await expect(timed.result).rejects.toMatchObject({ cause: { name: 'States.Timeout' } });
  });

  it('waitEnd follows Step Functions for each field', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(waitEnd({ Seconds: 60 }, {}, now).toISOString()).toBe('2030-01-01T00:01:00.000Z');
    expect(waitEnd({ SecondsPath: '$.s' }, { s: 120 }, now).toISOString()).toBe('2030-01-01T00:02:00.000Z');
    expect(waitEnd({ Timestamp: '2031-01-01T00:00:00Z' }, {}, now).toISOString()).toBe('2031-01-01T00:00:00.000Z');
    expect(() => waitEnd({ SecondsPath: '$.s' }, { s: -1 }, now)).toThrow(/not a non-negative integer/);
  });
});
