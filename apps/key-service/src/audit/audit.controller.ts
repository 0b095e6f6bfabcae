import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditPage, ListAuditQuery } from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, ZodPipe } from '@gw/platform';
import { z } from 'zod';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import type { Caller } from '../access/caller.js';
import { AuditService } from './audit.service.js';

const errors = { description: 'OpenAI error envelope', schema: ERROR_ENVELOPE_SCHEMA };

@ApiTags('audit')
@ApiBearerAuth()
@ApiResponse({ status: 400, ...errors })
@ApiResponse({ status: 401, ...errors })
@ApiResponse({ status: 403, ...errors })
@UseGuards(CallerGuard)
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Recorded changes, newest first: the operator sees all, a key with read its owners’ own',
  })
  @ApiQuery({ name: 'targetId', required: false })
  @ApiQuery({ name: 'action', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(AuditPage) })
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(ListAuditQuery)) query: z.output<typeof ListAuditQuery>,
  ) {
    return unwrap(await this.audit.list(caller, query));
  }
}
