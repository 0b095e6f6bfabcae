import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  CreateKeyInput,
  KeyPage,
  KeyView,
  KeyWithSecret,
  ListKeysQuery,
  RegenerateKeyInput,
  UpdateKeyInput,
} from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, UuidPipe, ZodPipe } from '@gw/platform';
import { z } from 'zod';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import type { Caller } from '../access/caller.js';
import { KeysService } from './keys.service.js';

const errors = { description: 'OpenAI error envelope', schema: ERROR_ENVELOPE_SCHEMA };

@ApiTags('keys')
@ApiBearerAuth()
@ApiResponse({ status: 400, ...errors })
@ApiResponse({ status: 401, ...errors })
@ApiResponse({ status: 403, ...errors })
@ApiResponse({ status: 404, ...errors })
@UseGuards(CallerGuard)
@Controller('v1/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a key; the plaintext `key` is in this response only' })
  @ApiBody({ schema: openApiSchema(CreateKeyInput) })
  @ApiResponse({ status: 201, schema: openApiSchema(KeyWithSecret) })
  @ApiResponse({ status: 409, ...errors })
  async create(@CurrentCaller() caller: Caller, @Body(new ZodPipe(CreateKeyInput)) body: CreateKeyInput) {
    return unwrap(await this.keys.create(caller, body));
  }

  // Typed as a type expression: a zod value as design:type breaks Swagger's parameter explorer.
  @Get()
  @ApiOperation({ summary: "List the owner's keys, masked, newest first" })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'disabled', 'expired', 'exhausted'] })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'ownerType', required: false, enum: ['account', 'organization'] })
  @ApiQuery({ name: 'ownerId', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyPage) })
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(ListKeysQuery)) query: z.output<typeof ListKeysQuery>,
  ) {
    return unwrap(await this.keys.list(caller, query));
  }

  @Get(':id')
  @ApiResponse({ status: 200, schema: openApiSchema(KeyView) })
  async get(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.keys.get(caller, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change settings or enable/disable; the secret never changes here' })
  @ApiBody({ schema: openApiSchema(UpdateKeyInput) })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyView) })
  async update(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(UpdateKeyInput)) body: UpdateKeyInput,
  ) {
    return unwrap(await this.keys.update(caller, id, body));
  }

  @Post(':id/regenerate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'New secret, same id and configuration; the old one stops now or after the grace period',
  })
  @ApiBody({ schema: openApiSchema(RegenerateKeyInput), required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(KeyWithSecret) })
  async regenerate(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(RegenerateKeyInput.default({}))) body: RegenerateKeyInput,
  ) {
    return unwrap(await this.keys.regenerate(caller, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete now, everywhere; usage history stays' })
  async remove(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    unwrap(await this.keys.delete(caller, id));
  }
}
