import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ModelName,
  ModelPriceInput,
  ModelPriceView,
  PricingGroupInput,
  PricingGroupView,
  Slug,
  TierInput,
  TierView,
} from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, ZodPipe } from '@gw/platform';
import { z } from 'zod';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import { type Caller } from '../access/caller.js';
import { PricingService } from './pricing.service.js';

@ApiTags('pricing')
@ApiBearerAuth()
@ApiResponse({ status: 400, schema: ERROR_ENVELOPE_SCHEMA })
@ApiResponse({ status: 403, schema: ERROR_ENVELOPE_SCHEMA })
@ApiResponse({ status: 404, schema: ERROR_ENVELOPE_SCHEMA })
@UseGuards(CallerGuard)
@Controller('v1')
export class PricingController {
  constructor(private readonly pricing: PricingService) {}

  @Get('pricing/models')
  @ApiResponse({ status: 200, schema: openApiSchema(z.array(ModelPriceView)) })
  async listModels(@CurrentCaller() caller: Caller) {
    return unwrap(await this.pricing.listModels(caller));
  }

  @Get('pricing/models/:model')
  @ApiResponse({ status: 200, schema: openApiSchema(ModelPriceView) })
  async getModel(
    @CurrentCaller() caller: Caller,
    @Param('model', new ZodPipe(ModelName, 'model')) model: string,
  ) {
    return unwrap(await this.pricing.getModel(caller, model));
  }

  @Put('pricing/models/:model')
  @ApiOperation({ summary: 'Operator: integer micro-credits per 1M input and output tokens' })
  @ApiBody({ schema: openApiSchema(ModelPriceInput) })
  @ApiResponse({ status: 200, schema: openApiSchema(ModelPriceView) })
  async putModel(
    @CurrentCaller() caller: Caller,
    @Param('model', new ZodPipe(ModelName, 'model')) model: string,
    @Body(new ZodPipe(ModelPriceInput)) body: ModelPriceInput,
  ) {
    return unwrap(await this.pricing.putModel(caller, model, body));
  }

  @Get('pricing/groups')
  @ApiResponse({ status: 200, schema: openApiSchema(z.array(PricingGroupView)) })
  async listGroups(@CurrentCaller() caller: Caller) {
    return unwrap(await this.pricing.listGroups(caller));
  }

  @Get('pricing/groups/:name')
  @ApiResponse({ status: 200, schema: openApiSchema(PricingGroupView) })
  async getGroup(@CurrentCaller() caller: Caller, @Param('name', new ZodPipe(Slug, 'name')) name: string) {
    return unwrap(await this.pricing.getGroup(caller, name));
  }

  @Put('pricing/groups/:name')
  @ApiOperation({ summary: 'Operator: a pricing group and its cost multiplier' })
  @ApiBody({ schema: openApiSchema(PricingGroupInput) })
  @ApiResponse({ status: 200, schema: openApiSchema(PricingGroupView) })
  async putGroup(
    @CurrentCaller() caller: Caller,
    @Param('name', new ZodPipe(Slug, 'name')) name: string,
    @Body(new ZodPipe(PricingGroupInput)) body: PricingGroupInput,
  ) {
    return unwrap(await this.pricing.putGroup(caller, name, body));
  }

  @Get('tiers')
  @ApiResponse({ status: 200, schema: openApiSchema(z.array(TierView)) })
  async listTiers(@CurrentCaller() caller: Caller) {
    return unwrap(await this.pricing.listTiers(caller));
  }

  @Get('tiers/:name')
  @ApiResponse({ status: 200, schema: openApiSchema(TierView) })
  async getTier(@CurrentCaller() caller: Caller, @Param('name', new ZodPipe(Slug, 'name')) name: string) {
    return unwrap(await this.pricing.getTier(caller, name));
  }

  @Put('tiers/:name')
  @ApiOperation({
    summary: "Operator: a tier's RPM (null = unlimited), priority routing and models ('*' = all)",
  })
  @ApiBody({ schema: openApiSchema(TierInput) })
  @ApiResponse({ status: 200, schema: openApiSchema(TierView) })
  async putTier(
    @CurrentCaller() caller: Caller,
    @Param('name', new ZodPipe(Slug, 'name')) name: string,
    @Body(new ZodPipe(TierInput)) body: TierInput,
  ) {
    return unwrap(await this.pricing.putTier(caller, name, body));
  }
}
