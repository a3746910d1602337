import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allStates, placeholdersOf, readDefinitionText, substitute } from '#infra/asl.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { envNameForResource, functionEnvironment } from '#infra/system-env.ts';
import { system } from '#infra/system.ts';
import { API_TIMEOUT_SECONDS, functionTimeoutSeconds, type SystemDeclaration } from '#infra/system-types.ts';
import { PROJECT_ROOT } from '#infra/local/runtime.ts';

describe('The system declaration', () => {
  it('routes and event rules name declared functions whose handler files exist', () => {
    const functions = Object.keys(system.functions);
    for (const route of system.routes) expect(functions).toContain(route.function);
    for (const rule of system.eventRules) expect(functions).toContain(rule.function);
    for (const fn of Object.values(system.functions)) expect(existsSync(resolve(PROJECT_ROOT, fn.entry)), fn.entry).toBe(true);
  });

  it('makes every workflow task a workflowTask handler, and lets it and every function that starts or follows a workflow keep references', () => {
    // The middleware resolves the task's input references and references its result's UIDs (docs/security.md).
    const tasks = new Set<string>(Object.values(system.stateMachines).flatMap((machine) => Object.values(machine.functions)));
    for (const task of tasks) {
      const fn = system.functions[task as keyof typeof system.functions];
      expect(readFileSync(resolve(PROJECT_ROOT, fn.entry), 'utf8'), fn.entry).toMatch(/\.use\(workflowTask\(\)\)/);
    }
    for (const [name, fn] of Object.entries(system.functions as SystemDeclaration['functions'])) {
      const startsOrFollows = fn.grants.some((g) => g.actions.some((a) => a === 'states:StartExecution' || a === 'states:DescribeExecution'));
      const references = fn.grants.some((g) => g.resource === 'table:index' && g.actions.includes('dynamodb:GetItem') && g.actions.includes('dynamodb:PutItem'));
      if (tasks.has(name) || startsOrFollows) expect(references, name).toBe(true);
    }
  });

  it('gives every ${…} placeholder of every state machine a declared function, and no more', () => {
    for (const machine of Object.values(system.stateMachines)) {
      const text = readDefinitionText(PROJECT_ROOT, machine.file);
      expect(placeholdersOf(text)).toEqual(Object.keys(machine.functions).sort());
      for (const fn of Object.values(machine.functions)) expect(Object.keys(system.functions)).toContain(fn);
      const definition = JSON.parse(substitute(text, Object.fromEntries(Object.keys(machine.functions).map((p) => [p, `arn:${p}`]))));
      const tasks = allStates(definition.States).filter(([, state]) => state.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const [, task] of tasks) expect(task.Resource).toMatch(/^arn:/);
    }
  });

  it('declares every ASL file in statemachines/, so each becomes a state machine', () => {
    const files = readdirSync(resolve(PROJECT_ROOT, 'statemachines')).filter((f) => f.endsWith('.asl.json'));
    expect(files.map((f) => `statemachines/${f}`).sort()).toEqual(Object.values(system.stateMachines).map((m) => m.file).sort());
  });

  it('derives each function environment from its grants', () => {
    expect(envNameForResource('table:index')).toBe('TABLE_INDEX');
    expect(envNameForResource('stateMachine:fixityAudit')).toBe('STATE_MACHINE_FIXITY_AUDIT');
    expect(envNameForResource('execution:fixityAudit')).toBeUndefined();
    const physical = { table: (l: string) => `t-${l}`, bucket: (l: string) => `b-${l}`, stateMachineArn: (l: string) => `arn:sm:${l}`, staticFiles: (f: string) => `/where/${f}` };
    expect(functionEnvironment(system.functions.startFixityAudit, physical)).toEqual({ STATE_MACHINE_FIXITY_AUDIT: 'arn:sm:fixityAudit', TABLE_INDEX: 't-index', TABLE_AUDIT: 't-audit' });
    const { LIFECYCLE_POLICY, ...resources } = functionEnvironment(system.functions.storeInstances, physical);
    expect(resources).toEqual({ TABLE_INDEX: 't-index', BUCKET_ARCHIVE: 'b-archive', TABLE_AUDIT: 't-audit', STATE_MACHINE_PRIOR_PREFETCH: 'arn:sm:priorPrefetch' });
    // An event bus is named the same in both runtimes.
    expect(envNameForResource('eventBus:default')).toBe('EVENT_BUS_DEFAULT');
    expect(functionEnvironment(system.functions.onObjectEvent, physical)).toEqual({ TABLE_INDEX: 't-index', EVENT_BUS_DEFAULT: 'default' });
    // A function with static files (the console) is told where its folder is in the runtime at hand.
    expect(functionEnvironment(system.functions.console, physical)).toEqual({ STATIC_FILES_DIR: '/where/scripts/clients/console/dist' });
    // The policy the function classifies by is the declared file's, validated.
    expect(JSON.parse(LIFECYCLE_POLICY!)).toMatchObject({ version: loadPolicy(system.functions.storeInstances.lifecyclePolicy).version });
  });

  it('lets every function that reads or inspects objects list the bucket, so a missing key is 404 and not 403', () => {
    // S3 answers AccessDenied instead of NoSuchKey/404 to a caller without s3:ListBucket: WADO
    // would answer 500 for a missing instance and the fixity audit would never see one missing.
    const inspects = /^s3:(GetObject|GetObjectLegalHold|GetObjectRetention|GetObjectAttributes)$/;
    for (const [name, fn] of Object.entries(system.functions)) {
      for (const grant of fn.grants.filter((g) => g.resource.startsWith('bucket:'))) {
        if (grant.actions.some((a) => inspects.test(a))) expect(grant.actions, name).toContain('s3:ListBucket');
      }
    }
  });

  it('gives API functions API Gateway\'s 29 s, streamed ones 5 minutes, workflow tasks minutes', () => {
    expect(functionTimeoutSeconds(system, 'searchForStudies')).toBe(API_TIMEOUT_SECONDS);
    expect(functionTimeoutSeconds(system, 'retrieve')).toBe(300);
    expect(functionTimeoutSeconds(system, 'listStudySeries')).toBe(300);
    expect(functionTimeoutSeconds(system, 'verifySeries')).toBe(900);
    const routedLong = { ...system, functions: { ...system.functions, health: { ...system.functions.health, timeoutSeconds: 120 } } };
    expect(() => functionTimeoutSeconds(routedLong, 'health')).toThrow(/API route.*29 s/);
    for (const machine of Object.values(system.stateMachines)) {
      for (const task of Object.values(machine.functions)) expect(functionTimeoutSeconds(system, task), task).toBeGreaterThanOrEqual(60);
    }
  });

  it('refuses to substitute a placeholder it has no value for', () => {
    expect(() => substitute('{"Resource":"${Missing}"}', {})).toThrow(/Missing/);
  });
});
