/**
 * One Powertools logger for every function: JSON lines, service "strata". Log request ids,
 * routes (the resource template, never the path with its UIDs), sizes and timings; never
 * patient data, whole events or datasets (style guide, Logging).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'strata' });
