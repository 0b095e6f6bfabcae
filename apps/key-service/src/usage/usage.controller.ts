import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { UsageRangeQuery, UsageView } from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, UuidPipe, ZodPipe } from '@gw/platform';
import type { z } from 'zod';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import type { Caller } from '../access/caller.js';
import { UsageService } from './usage.service.js';

const errors = { description: 'OpenAI error envelope', schema: ERROR_ENVELOPE_SCHEMA };
const report = { status: 200, schema: openApiSchema(UsageView) };
type Range = z.output<typeof UsageRangeQuery>;

/** Range query parameters, shared by the three routes. */
function RangeQuery(): MethodDecorator {
  return (target, key, descriptor) => {
    ApiQuery({ name: 'from', required: false, description: 'ISO time; default: start of the UTC month' })(
      target,
      key,
      descriptor,
    );
    ApiQuery({ name: 'to', required: false, description: 'ISO time, exclusive; default: now' })(
      target,
      key,
      descriptor,
    );
    ApiQuery({ name: 'granularity', required: false, enum: ['day'] })(target, key, descriptor);
  };
}

@ApiTags('usage')
@ApiBearerAuth()
@ApiResponse({ status: 400, ...errors })
@ApiResponse({ status: 401, ...errors })
@ApiResponse({ status: 404, ...errors })
@UseGuards(CallerGuard)
@Controller('v1')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get('keys/:id/usage')
  @ApiOperation({ summary: "A key's usage and its quota (used / limit in credits and currency)" })
  @RangeQuery()
  @ApiResponse(report)
  async key(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Query(new ZodPipe(UsageRangeQuery)) query: Range,
  ) {
    return unwrap(await this.usage.forKey(caller, id, query));
  }

  @Get('accounts/:id/usage')
  @ApiOperation({ summary: "An account's usage across its keys, and its credit limit" })
  @RangeQuery()
  @ApiResponse(report)
  async account(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Query(new ZodPipe(UsageRangeQuery)) query: Range,
  ) {
    return unwrap(await this.usage.forOwner(caller, { type: 'account', id }, query));
  }

  @Get('organizations/:id/usage')
  @ApiOperation({ summary: "An organization's usage across its keys, and its credit limit" })
  @RangeQuery()
  @ApiResponse(report)
  async organization(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Query(new ZodPipe(UsageRangeQuery)) query: Range,
  ) {
    return unwrap(await this.usage.forOwner(caller, { type: 'organization', id }, query));
  }
}
