import { type PipeTransform } from '@nestjs/common';
import { parseInput } from '@gw/contracts';
import type { z } from 'zod';
import { unwrap } from './api-exception.js';

/** Validates a body or query with a contracts schema; failures are 400 invalid_request naming the field. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly root?: string,
  ) {}
  transform(value: unknown): z.output<S> {
    return unwrap(parseInput(this.schema, value, this.root));
  }
}
