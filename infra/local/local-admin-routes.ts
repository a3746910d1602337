/**
 * Local-only administration, under `/_local/` on the API port. These are simulations of what
 * time and AWS do by themselves (the clock, lifecycle transitions), never Lambda routes, and
 * they do not exist in AWS.
 *
 * GET  /_local/clock                     → { now, offsetMs }
 * POST /_local/clock {"advance":"+400d"} → moves simulated time forward (or {"to": ISO date})
 * POST /_local/s3/transition {"bucket":"archive","key":…,"storageClass":"GLACIER"}
 * POST /_local/s3/faults {"keyPrefix":…,"status":503,"code":"SlowDown","operation":"read"|"write"|"delete","remaining":5}
 *                                         → GETs of matching keys fail (DELETE clears all)
 * POST /_local/schedules {"stateMachine":"fixitySweep","wait":true}
 *                                         → starts a scheduled workflow's run as its EventBridge schedule would
 * GET  /_local/events                    → recent EventBridge deliveries
 *
 * Every input is checked before anything changes (admin-input.ts): a refusal (400, 404, 409, 413)
 * changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { system } from '#infra/system.ts';
import { AdminInputError, integerField, readAdminJson, stringField, type AdminBody } from './admin-input.ts';
import type { LocalRoute } from './api-gateway.ts';
import { ClockRangeError, parseDuration, type LocalClock } from './clock.ts';
import type { LocalEventBus } from './event-bus.ts';
import type { LocalS3 } from './s3/local-s3.ts';
import { localBucketName } from './s3/local-s3.ts';
import { MAX_FAULTS } from './s3/fidelity-proxy.ts';
import { LIFECYCLE_TARGET_CLASSES } from './s3/storage-classes.ts';
import type { LocalStepFunctions } from './step-functions.ts';

const FAULT_OPERATIONS: ReadonlySet<string> = new Set(['read', 'write', 'delete']);

interface Parts {
  clock: LocalClock;
  s3: LocalS3;
  events: LocalEventBus;
  stepFunctions: LocalStepFunctions;
}

type Handler = (req: IncomingMessage, parts: Parts) => Promise<{ status?: number; body: unknown }>;

const BUCKETS = new Set(Object.keys(system.buckets));
/** The workflows EventBridge starts on a schedule in AWS; locally this route stands for the schedule. */
const SCHEDULED: ReadonlySet<string> = new Set(Object.entries(system.stateMachines).filter(([, machine]) => 'schedule' in machine).map(([name]) => name));
/** S3's limit on a key's length. */
const MAX_KEY_BYTES = 1024;
const bucketField = (body: AdminBody) => localBucketName(stringField(body, 'bucket', { maxBytes: 63, oneOf: BUCKETS }, 'archive'));

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/_local/clock': {
    GET: async (_req, { clock }) => ({ body: clockState(clock) }),
    POST: async (req, { clock, s3, events }) => {
      const body = await readAdminJson(req, ['advance', 'to']);
      if ((body.advance === undefined) === (body.to === undefined)) {
        throw new AdminInputError(400, 'send {"advance":"+400d"} or {"to":"2030-01-01T00:00:00Z"}');
      }
      if (body.advance !== undefined) {
        clock.advance(parseDuration(stringField(body, 'advance', { maxBytes: 32 })));
      } else {
        const to = stringField(body, 'to', { maxBytes: 40 });
        clock.advanceTo(new Date(to));
      }
      s3.proxy.announceRestores();
      const lifecycle = await s3.applyLifecycle();
      const replication = await s3.replicate();
      await events.idle();
      return { body: { ...clockState(clock), lifecycle, replication } };
    },
  },
  '/_local/s3/transition': {
    POST: async (req, { s3, events }) => {
      const body = await readAdminJson(req, ['bucket', 'key', 'storageClass']);
      const bucket = bucketField(body);
      const key = stringField(body, 'key', { minBytes: 1, maxBytes: MAX_KEY_BYTES });
      const storageClass = stringField(body, 'storageClass', { maxBytes: 32, oneOf: LIFECYCLE_TARGET_CLASSES });
      if ((await s3.proxy.transition(bucket, key, storageClass)) === 'no-such-key') throw new AdminInputError(404, `no object ${key}`);
      await events.idle();
      return { body: { key, storageClass } };
    },
  },
  '/_local/s3/faults': {
    POST: async (req, { s3 }) => {
      const body = await readAdminJson(req, ['bucket', 'keyPrefix', 'status', 'code', 'operation', 'remaining']);
      const fault = {
        bucket: bucketField(body),
        keyPrefix: stringField(body, 'keyPrefix', { maxBytes: MAX_KEY_BYTES }),
        // S3 error statuses; a 2xx or 3xx "fault" would be a response S3 never gives.
        status: integerField(body, 'status', { min: 400, max: 599 }, 503)!,
        code: stringField(body, 'code', { maxBytes: 64, pattern: /^[A-Za-z][A-Za-z0-9]*$/ }, 'SlowDown'),
        operation: stringField(body, 'operation', { maxBytes: 8, oneOf: FAULT_OPERATIONS }, 'read') as 'read' | 'write' | 'delete',
      };
      const remaining = integerField(body, 'remaining', { min: 1, max: 1_000_000 });
      if (!s3.proxy.injectFault({ ...fault, ...(remaining === undefined ? {} : { remaining }) })) {
        throw new AdminInputError(409, `at most ${MAX_FAULTS} faults at once; DELETE /_local/s3/faults clears them`);
      }
      return { body: { injected: fault.keyPrefix } };
    },
    DELETE: async (_req, { s3 }) => {
      s3.proxy.clearFaults();
      return { body: { cleared: true } };
    },
  },
  '/_local/schedules': {
    // What a scheduled run gets in AWS: `{}`. With "wait": true, answers once the run (and any other) has ended.
    POST: async (req, { clock, stepFunctions }) => {
      const body = await readAdminJson(req, ['stateMachine', 'wait']);
      const name = stringField(body, 'stateMachine', { maxBytes: 64, oneOf: SCHEDULED });
      const run = stepFunctions.startExecution(stepFunctions.arnOf(name), '{}', `scheduled-${clock.now().toISOString().replace(/[:.]/g, '')}-${randomUUID().slice(0, 8)}`);
      if (body.wait !== true) return { status: 202, body: { executionArn: run.executionArn } };
      await stepFunctions.idle();
      const { executionArn, status, output } = stepFunctions.describeExecution(run.executionArn);
      return { body: { executionArn, status, output: output === undefined ? undefined : (JSON.parse(output) as unknown) } };
    },
  },
  '/_local/events': {
    GET: async (_req, { events }) => ({ body: events.deliveries }),
  },
};

export function localAdminRoutes(parts: Parts): LocalRoute {
  return async (req, res, url) => {
    const methods = ROUTES[url.pathname];
    if (!methods) return false;
    const handler = methods[req.method ?? 'GET'];
    if (!handler) {
      req.resume();
      return json(res, 405, { message: `${url.pathname} accepts ${Object.keys(methods).join(', ')}` }, { Allow: Object.keys(methods).join(', ') });
    }
    try {
      const { status, body } = await handler(req, parts);
      return json(res, status ?? 200, body);
    } catch (error) {
      if (error instanceof AdminInputError) return json(res, error.status, { message: error.message });
      // The clock refuses what it cannot represent before changing anything.
      if (error instanceof ClockRangeError) return json(res, 400, { message: error.message });
      return json(res, 500, { message: error instanceof Error ? error.message : String(error) });
    }
  };
}

const clockState = (clock: LocalClock) => ({ now: clock.now().toISOString(), offsetMs: clock.offset });

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
  return true;
}
