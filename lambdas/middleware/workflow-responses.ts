/**
 * The answers of the admin routes that start a workflow and let its caller follow it
 * (fixity audits, index maintenance): one shape for both.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { publicBaseUrl } from './http-request.ts';

/** 202 Accepted with where to follow the execution: `<public base><route>/<name>`. */
export function workflowStarted(event: APIGatewayProxyEvent, route: string, name: string): APIGatewayProxyResult {
  const location = `${publicBaseUrl(event)}${route}/${name}`;
  return {
    statusCode: 202,
    headers: { 'Content-Type': 'application/json', Location: location },
    body: JSON.stringify({ id: name, status: 'RUNNING', location }),
  };
}

/** 200 with an execution's status and result. */
export function workflowView(view: object): APIGatewayProxyResult {
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(view) };
}
