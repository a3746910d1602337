import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allStates, placeholdersOf, readDefinitionText, substitute } from '../../../infra/asl.ts';
import { envNameForResource, functionEnvironment } from '../../../infra/system-env.ts';
import { system } from '../../../infra/system.ts';
import { PROJECT_ROOT } from '../../../infra/local/runtime.ts';

describe('The system declaration', () => {
  it('routes and event rules name declared functions whose handler files exist', () => {
    const functions = Object.keys(system.functions);
    for (const route of system.routes) expect(functions).toContain(route.function);
    for (const rule of system.eventRules) expect(functions).toContain(rule.function);
    for (const fn of Object.values(system.functions)) expect(existsSync(resolve(PROJECT_ROOT, fn.entry)), fn.entry).toBe(true);
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
    const env = functionEnvironment(system.functions.startFixityAudit, {
      table: (l) => `t-${l}`,
      bucket: (l) => `b-${l}`,
      stateMachineArn: (l) => `arn:sm:${l}`,
    });
    expect(env).toEqual({ TABLE_INDEX: 't-index', STATE_MACHINE_FIXITY_AUDIT: 'arn:sm:fixityAudit' });
  });

  it('refuses to substitute a placeholder it has no value for', () => {
    expect(() => substitute('{"Resource":"${Missing}"}', {})).toThrow(/Missing/);
  });
});
