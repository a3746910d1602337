/**
 * WADO-RS rendered and thumbnail resources: GET …/{study|series|instance|frames}/{rendered|thumbnail}
 * (PS3.18 10.4.1.1.4–5, query parameters 8.3.5.1). `annotation` is ignored, as the standard allows.
 */
import { parseAccept } from '#core/dicomweb/accept.ts';
import { BadRequestError } from '#core/errors.ts';
import { parseWindowParameter } from '#core/render/pixel-window.ts';
import { callerOf, resourceScopeOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { subjectsOf } from '#core/audit/subjects.ts';
import { header, pathParameter, queryOf } from '#middleware/http-request.ts';
import { parseFrameList } from '#services/retrieve-frames.ts';
import { negotiateRendered, renderedBody, renderImages } from '#services/render-images.ts';

export const handler = httpHandler(async (event) => {
  const query = new Map(queryOf(event));
  const { type, multipart } = negotiateRendered(parseAccept(query.get('accept') ?? header(event, 'accept')));
  const frames = pathParameter(event, 'frames');
  const images = await renderImages({
    scope: resourceScopeOf(event),
    frames: frames === undefined ? undefined : parseFrameList(frames),
    thumbnail: event.resource.endsWith('/thumbnail'),
    type,
    window: query.has('window') ? parseWindowParameter(query.get('window')!) : undefined,
    viewport: query.has('viewport') ? parseViewport(query.get('viewport')!) : undefined,
    quality: query.has('quality') ? parseQuality(query.get('quality')!) : 90,
    found: (records) => subjectsOf(records).forEach((subject) => noteAuditSubject(event, subject)),
    requestedBy: callerOf(event).clientId,
  });
  const { contentType, body } = renderedBody(images, type, multipart);
  return { statusCode: 200, headers: { 'Cache-Control': 'private', 'Content-Type': contentType }, body: body.toString('base64'), isBase64Encoded: true };
}, { audit: 'retrieve' });

/** `viewport=vw,vh[,sx,sy,sw,sh]`: the size to fit within (the source region is not offered). */
function parseViewport(value: string): { width: number; height: number } {
  const [width, height] = value.split(',').map(Number);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! < 1 || height! < 1 || width! > 4096 || height! > 4096) {
    throw new BadRequestError('viewport must be width,height in pixels (1–4096)');
  }
  return { width: width!, height: height! };
}

function parseQuality(value: string): number {
  const quality = Number(value);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new BadRequestError('quality must be an integer from 1 to 100');
  return quality;
}
