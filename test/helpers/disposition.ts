/**
 * Disposition test helpers (docs/disposition.md), shared by the integration tests of the
 * workflow: the API calls a run takes (dry run, approval, status, report), a legal hold's
 * registration as the legal-hold service writes it, a study's object versions in a copy, and a
 * hook that acts at an exact moment inside a workflow step (before one S3 request of a handler).
 */
import { ListObjectVersionsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import { Keys } from '#core/index-keys.ts';
import { dynamoFor } from './aws.ts';
import type { TestRuntime } from './runtime.ts';

export type Headers = Record<string, string>;

export interface DispositionReport {
  summary: { examined: number; eligible: number; spared: number; retained: number; bytesByTier: Record<string, number>; monthlySavingUsd: number; policyVersion: number };
  studies: { study: string; outcome: string; rule?: string; safetyNet?: string }[];
}

export interface Certificate {
  copies: { copy: string; bucket: string }[];
  destroyed: { study: string; sha256: string[]; versionsDestroyed: Record<string, number> }[];
  kept: { study: string; state: string; reason: string; versionsRemaining?: Record<string, number> }[];
}

/** The disposition API of a runtime, as an administrator of the tenant the headers name (default: the test client's). */
export function dispositionApi(runtime: TestRuntime) {
  const call = async (method: string, path: string, headers: Headers = {}, body?: unknown) => {
    const response = await fetch(`${runtime.url}${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, text, json: (text.startsWith('{') ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  const run = async (id: string, headers: Headers = {}) => (await call('GET', `/dispositions/${id}`, headers)).json;
  return {
    call,
    run,
    /** Starts a run and waits for its report; the run is then awaiting approval. */
    async dryRun(headers: Headers = {}): Promise<{ id: string; report: DispositionReport }> {
      const started = await call('POST', '/dispositions', headers);
      expect(started.status).toBe(202);
      const id = String(started.json.id);
      await runtime.stepFunctions.settled();
      expect((await run(id, headers)).status).toBe('AWAITING_APPROVAL');
      const report = await call('GET', `/dispositions/${id}?format=json`, headers);
      expect(report.status).toBe(200);
      return { id, report: JSON.parse(report.text) as DispositionReport };
    },
    /** Approves the run and lets the workflow go as far as it goes (to the recovery window's wait, or its end). */
    async approve(id: string, headers: Headers = {}): Promise<Record<string, unknown>> {
      const approved = await call('POST', `/dispositions/${id}/approve`, headers);
      expect(approved.status, approved.text).toBe(200);
      await runtime.stepFunctions.settled();
      return run(id, headers);
    },
  };
}

/** A legal hold's registration on a study, as the legal-hold service writes it when a hold is placed (docs/legal-hold.md). */
export async function registerHold(runtime: TestRuntime, tenant: string, study: string, holdId: string): Promise<void> {
  const key = Keys.heldStudy(tenant, study);
  await dynamoFor(runtime).send(new PutItemCommand({ TableName: process.env.TABLE_INDEX!, Item: { pk: { S: key.pk }, sk: { S: key.sk }, holds: { SS: [holdId] } } }));
}

/** A study's objects: its instances' bytes and their metadata documents. */
export const studyPrefixes = (tenant: string, study: string) => [`${tenant}/studies/${study}/`, `${tenant}/metadata/studies/${study}/`];

/** The keys a copy answers for now (no delete marker on top), sorted. */
export async function currentKeys(s3: S3Client, bucket: string, tenant: string, study: string): Promise<string[]> {
  const keys: string[] = [];
  for (const Prefix of studyPrefixes(tenant, study)) keys.push(...((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix }))).Contents ?? []).map((o) => o.Key!));
  return keys.sort();
}

/** Every object version and delete marker of a study's objects in a copy. */
export async function studyVersions(s3: S3Client, bucket: string, tenant: string, study: string) {
  const found = { objects: [] as { Key: string; VersionId: string }[], markers: [] as { Key: string; VersionId: string }[] };
  for (const Prefix of studyPrefixes(tenant, study)) {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix }));
    found.objects.push(...(listed.Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId! })));
    found.markers.push(...(listed.DeleteMarkers ?? []).map((m) => ({ Key: m.Key!, VersionId: m.VersionId! })));
  }
  return found;
}

interface S3Request {
  command: string;
  input: { Bucket?: string; Key?: string; VersionId?: string };
}

let hooks = 0;

/**
 * Runs `act` once, just before the first request of `client` (a handler's own, from
 * #adapters/aws-clients.ts: the local runtime runs handlers in this process) that `matches`,
 * then lets that request go: a hold or a lock placed at that exact moment of a workflow step.
 * A failure of `act` fails that request. `acted()` says whether it has acted; `remove` takes the hook away.
 */
export function beforeS3Request(client: S3Client, matches: (request: S3Request) => boolean, act: () => Promise<void>): { acted: () => boolean; remove: () => void } {
  const name = `strata-test-hook-${++hooks}`;
  let fired = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = { command: String(context.commandName ?? ''), input: args.input as S3Request['input'] };
      if (!fired && matches(request)) {
        fired = true;
        await act();
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { acted: () => fired, remove: () => client.middlewareStack.remove(name) };
}
