import { Body, Controller, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AccountView, CreateAccountInput, UpdateAccountInput } from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, UuidPipe, ZodPipe } from '@gw/platform';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import type { Caller } from '../access/caller.js';
import { AccountsService } from './accounts.service.js';

@ApiTags('accounts')
@ApiBearerAuth()
@ApiResponse({ status: 400, schema: ERROR_ENVELOPE_SCHEMA })
@ApiResponse({ status: 404, schema: ERROR_ENVELOPE_SCHEMA })
@UseGuards(CallerGuard)
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @ApiOperation({ summary: 'Operator: create an account' })
  @ApiBody({ schema: openApiSchema(CreateAccountInput) })
  @ApiResponse({ status: 201, schema: openApiSchema(AccountView) })
  async create(
    @CurrentCaller() caller: Caller,
    @Body(new ZodPipe(CreateAccountInput)) body: CreateAccountInput,
  ) {
    return unwrap(await this.accounts.create(caller, body));
  }

  @Get(':id')
  @ApiResponse({ status: 200, schema: openApiSchema(AccountView) })
  async get(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.accounts.get(caller, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Operator: change tier, credit limit or status (suspend)' })
  @ApiBody({ schema: openApiSchema(UpdateAccountInput) })
  @ApiResponse({ status: 200, schema: openApiSchema(AccountView) })
  async update(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(UpdateAccountInput)) body: UpdateAccountInput,
  ) {
    return unwrap(await this.accounts.update(caller, id, body));
  }
}
