/** STOW-RS through API Gateway and Lambda: the buffered body, read by the same pipeline as the data plane's stream. */
import { collectMultipart } from '#core/dicomweb/multipart-stream.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { bodyOf } from '#middleware/http-request.ts';
import { stow } from './stow-exchange.ts';

export const handler = httpHandler((event) => stow(event, (boundary) => collectMultipart(bodyOf(event), boundary)), { audit: 'store' });
