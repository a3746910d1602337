/** WADO-RS through API Gateway and Lambda response streaming (the exchange: retrieve-exchange.ts). */
import { streamingHttpHandler } from '#middleware/http-handler.ts';
import { retrieve } from './retrieve-exchange.ts';

export const handler = streamingHttpHandler(retrieve, { audit: 'retrieve' });
