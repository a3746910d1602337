/**
 * Local-only administration, under `/_local/` on the API port. These are simulations of what
 * time and AWS do by themselves (the clock, lifecycle transitions), never Lambda routes, and
 * they do not exist in AWS.
 *
 * GET  /_local/clock                     → { now, offsetMs }
 * POST /_local/clock {"advance":"+400d"} → moves simulated time forward (or {"to": ISO date})
 * POST /_local/s3/transition {"bucket":"archive","key":…,"storageClass":"GLACIER"}
 * POST /_local/s3/faults {"keyPrefix":…,"status":503,"code":"SlowDown","remaining":5}
 *                                         → GETs of matching keys fail (DELETE clears all)
 * GET  /_local/events                    → recent EventBridge deliveries
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalRoute } from './api-gateway.ts';
import { parseDuration, type LocalClock } from './clock.ts';
import type { LocalEventBus } from './event-bus.ts';
import type { LocalS3 } from './s3/local-s3.ts';
import { localBucketName } from './s3/local-s3.ts';
import type { LocalStepFunctions } from './step-functions.ts';
import { readAll } from './read-body.ts';

interface Parts {
  clock: LocalClock;
  s3: LocalS3;
  events: LocalEventBus;
  stepFunctions: LocalStepFunctions;
}

export function localAdminRoutes(parts: Parts): LocalRoute {
  return async (req, res, url) => {
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /_local/clock':
          return json(res, 200, clockState(parts.clock));
        case 'POST /_local/clock': {
          const body = await readJson(req);
          if (typeof body.advance === 'string') parts.clock.advance(parseDuration(body.advance));
          else if (typeof body.to === 'string' && !Number.isNaN(Date.parse(body.to))) parts.clock.advanceTo(new Date(body.to));
          else return json(res, 400, { message: 'send {"advance":"+400d"} or {"to":"2030-01-01T00:00:00Z"}' });
          parts.s3.proxy.announceRestores();
          await parts.events.idle();
          return json(res, 200, clockState(parts.clock));
        }
        case 'POST /_local/s3/transition': {
          const body = await readJson(req);
          if (typeof body.key !== 'string' || typeof body.storageClass !== 'string') {
            return json(res, 400, { message: 'send {"bucket":"archive","key":"…","storageClass":"GLACIER"}' });
          }
          await parts.s3.proxy.transition(localBucketName(String(body.bucket ?? 'archive')), body.key, body.storageClass);
          await parts.events.idle();
          return json(res, 200, { key: body.key, storageClass: body.storageClass });
        }
        case 'POST /_local/s3/faults': {
          const body = await readJson(req);
          if (typeof body.keyPrefix !== 'string') return json(res, 400, { message: 'send {"keyPrefix":"…","status":503,"code":"SlowDown"}' });
          parts.s3.proxy.injectFault({
            bucket: localBucketName(String(body.bucket ?? 'archive')),
            keyPrefix: body.keyPrefix,
            status: Number(body.status ?? 503),
            code: String(body.code ?? 'SlowDown'),
            ...(typeof body.remaining === 'number' ? { remaining: body.remaining } : {}),
          });
          return json(res, 200, { injected: body.keyPrefix });
        }
        case 'DELETE /_local/s3/faults':
          parts.s3.proxy.clearFaults();
          return json(res, 200, { cleared: true });
        case 'GET /_local/events':
          return json(res, 200, parts.events.deliveries);
        default:
          return false;
      }
    } catch (error) {
      return json(res, 400, { message: error instanceof Error ? error.message : String(error) });
    }
  };
}

const clockState = (clock: LocalClock) => ({ now: clock.now().toISOString(), offsetMs: clock.offset });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readAll(req)).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function json(res: ServerResponse, status: number, body: unknown): true {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
  return true;
}
