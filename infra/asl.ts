/**
 * Reading the Amazon States Language files in statemachines/. CDK fills their `${…}`
 * placeholders through definitionSubstitutions; the local runtime fills them with local ARNs.
 * Both use these helpers, so both see the same placeholders.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

export function readDefinitionText(root: string, file: string): string {
  return readFileSync(resolve(root, file), 'utf8');
}

export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

/** Replaces every `${Name}`; throws on a placeholder with no value, as CloudFormation would fail. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}}`);
    return value;
  });
}

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
  [field: string]: unknown;
}

/** Every state, nested ones (Map, Parallel) included, with its name. */
export function allStates(states: Record<string, AslState>): [string, AslState][] {
  const found: [string, AslState][] = [];
  for (const [name, state] of Object.entries(states)) {
    found.push([name, state]);
    const nested = [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])];
    for (const machine of nested) if (machine) found.push(...allStates(machine.States));
  }
  return found;
}
