import type { PipeTransform } from '@nestjs/common';
import { ApiException } from './api-exception.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that cannot exist is simply not found (404), never a 400 that reveals the id format. */
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw ApiException.of('not_found');
    return value.toLowerCase();
  }
}
