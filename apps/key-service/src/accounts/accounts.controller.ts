import { Body, Controller, Delete, Get, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AccountPage,
  AccountView,
  CreateAccountInput,
  EndedSessions,
  LinkIdentityInput,
  ListAccountsQuery,
  MeView,
  SignInIdentityView,
  UnlinkedIdentity,
  UnlinkIdentityQuery,
  UpdateAccountInput,
} from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, UuidPipe, ZodPipe } from '@gw/platform';
import { z } from 'zod';
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

  @Get()
  @ApiOperation({ summary: 'Operator: list accounts, newest first' })
  @ApiQuery({ name: 'search', required: false, description: 'Name contains (case-insensitive)' })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'suspended'] })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, schema: openApiSchema(AccountPage) })
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(ListAccountsQuery)) query: z.output<typeof ListAccountsQuery>,
  ) {
    return unwrap(await this.accounts.list(caller, query));
  }

  @Get(':id')
  @ApiResponse({ status: 200, schema: openApiSchema(AccountView) })
  async get(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.accounts.get(caller, id));
  }

  @Post(':id/identities')
  @ApiOperation({
    summary: 'Operator: let a person (their subject at the identity provider) sign in as this account',
  })
  @ApiBody({ schema: openApiSchema(LinkIdentityInput) })
  @ApiResponse({ status: 201, schema: openApiSchema(SignInIdentityView) })
  @ApiResponse({ status: 409, schema: ERROR_ENVELOPE_SCHEMA })
  async linkIdentity(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(LinkIdentityInput)) body: LinkIdentityInput,
  ) {
    return unwrap(await this.accounts.linkIdentity(caller, id, body));
  }

  @Get(':id/identities')
  @ApiOperation({ summary: 'The people who sign in to the console as this account' })
  @ApiResponse({ status: 200, schema: openApiSchema(z.array(SignInIdentityView)) })
  async identities(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.accounts.identities(caller, id));
  }

  @Delete(':id/identities')
  @ApiOperation({
    summary: 'Operator: the person (subject, issuer?) no longer signs in as this account; its sessions end',
  })
  @ApiQuery({ name: 'subject', required: true })
  @ApiQuery({ name: 'issuer', required: false, description: 'Default: the configured provider' })
  @ApiResponse({ status: 200, schema: openApiSchema(UnlinkedIdentity) })
  async unlinkIdentity(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    // Typed as a type expression: a zod value as design:type breaks Swagger's parameter explorer.
    @Query(new ZodPipe(UnlinkIdentityQuery)) query: z.output<typeof UnlinkIdentityQuery>,
  ) {
    return unwrap(await this.accounts.unlinkIdentity(caller, id, query));
  }

  @Delete(':id/sessions')
  @ApiOperation({ summary: 'Operator: end every console session of the account now (its keys keep working)' })
  @ApiResponse({ status: 200, schema: openApiSchema(EndedSessions) })
  async endSessions(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.accounts.endSessions(caller, id));
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

@ApiTags('accounts')
@ApiBearerAuth()
@ApiResponse({ status: 403, schema: ERROR_ENVELOPE_SCHEMA })
@UseGuards(CallerGuard)
@Controller('v1/me')
export class MeController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's account and its organizations, with its role in each" })
  @ApiResponse({ status: 200, schema: openApiSchema(MeView) })
  async me(@CurrentCaller() caller: Caller) {
    return unwrap(await this.accounts.me(caller));
  }
}
