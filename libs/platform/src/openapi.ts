// Swagger schemas generated from the same zod contracts that validate input: one source for both.
import { z } from 'zod';
import { ERROR_CODES } from '@gw/contracts';

export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

export const ERROR_ENVELOPE_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        code: { type: 'string', enum: ERROR_CODES },
        param: { type: 'string', nullable: true },
      },
      required: ['message', 'type', 'code', 'param'],
    },
  },
  required: ['error'],
};
