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
  CreateWebhookInput,
  DeliveryPage,
  ListPageQuery,
  UpdateWebhookInput,
  WEBHOOK_EVENTS,
  WebhookPage,
  WebhookView,
  WebhookWithSecret,
} from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, UuidPipe, ZodPipe } from '@gw/platform';
import { z } from 'zod';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import type { Caller } from '../access/caller.js';
import { WebhooksService } from './webhooks.service.js';

const errors = { description: 'OpenAI error envelope', schema: ERROR_ENVELOPE_SCHEMA };

/** Operator only, like the key list: whose webhooks. Others list their own owner's, or an org they administer. */
const ListWebhooksQuery = ListPageQuery.extend({
  ownerType: z.enum(['account', 'organization']).optional(),
  ownerId: z.uuid().optional(),
});

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiResponse({ status: 400, ...errors })
@ApiResponse({ status: 401, ...errors })
@ApiResponse({ status: 403, ...errors })
@ApiResponse({ status: 404, ...errors })
@UseGuards(CallerGuard)
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: `Subscribe a URL to key and quota events (${WEBHOOK_EVENTS.join(', ')}); the signing \`secret\` is in this response only`,
    description:
      'Needs the `webhook` (or `admin`) permission. Deliveries are signed the Standard Webhooks way: ' +
      '`webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` ' +
      'keyed with the base64-decoded part of the secret after `whsec_`. Only https, and never loopback, private, ' +
      'link-local or metadata addresses unless the operator allowed them.',
  })
  @ApiBody({ schema: openApiSchema(CreateWebhookInput) })
  @ApiResponse({ status: 201, schema: openApiSchema(WebhookWithSecret) })
  @ApiResponse({ status: 409, ...errors })
  async create(
    @CurrentCaller() caller: Caller,
    @Body(new ZodPipe(CreateWebhookInput)) body: CreateWebhookInput,
  ) {
    return unwrap(await this.webhooks.create(caller, body));
  }

  @Get()
  @ApiOperation({ summary: "List the owner's webhooks, newest first (never their secrets)" })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'ownerType', required: false, enum: ['account', 'organization'] })
  @ApiQuery({ name: 'ownerId', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(WebhookPage) })
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(ListWebhooksQuery)) query: z.output<typeof ListWebhooksQuery>,
  ) {
    return unwrap(await this.webhooks.list(caller, query));
  }

  @Get(':id')
  @ApiResponse({ status: 200, schema: openApiSchema(WebhookView) })
  async get(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.webhooks.get(caller, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL or events, or enable/disable; the secret never changes here' })
  @ApiBody({ schema: openApiSchema(UpdateWebhookInput) })
  @ApiResponse({ status: 200, schema: openApiSchema(WebhookView) })
  async update(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(UpdateWebhookInput)) body: UpdateWebhookInput,
  ) {
    return unwrap(await this.webhooks.update(caller, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the webhook and its deliveries; pending ones are not sent' })
  async remove(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    unwrap(await this.webhooks.delete(caller, id));
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "The webhook's deliveries, newest first: status, attempts, last answer and latency",
  })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(DeliveryPage) })
  async deliveries(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Query(new ZodPipe(ListPageQuery)) query: z.output<typeof ListPageQuery>,
  ) {
    return unwrap(await this.webhooks.deliveries(caller, id, query));
  }
}
