import { Body, Controller, Delete, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AddMemberInput,
  CreateOrganizationInput,
  OrganizationView,
  UpdateOrganizationInput,
} from '@gw/contracts';
import { ERROR_ENVELOPE_SCHEMA, openApiSchema, unwrap, UuidPipe, ZodPipe } from '@gw/platform';
import { CallerGuard, CurrentCaller } from '../access/caller.guard.js';
import type { Caller } from '../access/caller.js';
import { OrganizationsService } from './organizations.service.js';

const view = { schema: openApiSchema(OrganizationView) };

@ApiTags('organizations')
@ApiBearerAuth()
@ApiResponse({ status: 400, schema: ERROR_ENVELOPE_SCHEMA })
@ApiResponse({ status: 403, schema: ERROR_ENVELOPE_SCHEMA })
@ApiResponse({ status: 404, schema: ERROR_ENVELOPE_SCHEMA })
@UseGuards(CallerGuard)
@Controller('v1/organizations')
export class OrganizationsController {
  constructor(private readonly orgs: OrganizationsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an organization (operator for any account; an account key for itself)' })
  @ApiBody({ schema: openApiSchema(CreateOrganizationInput) })
  @ApiResponse({ status: 201, ...view })
  async create(
    @CurrentCaller() caller: Caller,
    @Body(new ZodPipe(CreateOrganizationInput)) body: CreateOrganizationInput,
  ) {
    return unwrap(await this.orgs.create(caller, body));
  }

  @Get(':id')
  @ApiResponse({ status: 200, ...view })
  async get(@CurrentCaller() caller: Caller, @Param('id', UuidPipe) id: string) {
    return unwrap(await this.orgs.get(caller, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Operator: change tier, credit limit or status' })
  @ApiBody({ schema: openApiSchema(UpdateOrganizationInput) })
  @ApiResponse({ status: 200, ...view })
  async update(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(UpdateOrganizationInput)) body: UpdateOrganizationInput,
  ) {
    return unwrap(await this.orgs.update(caller, id, body));
  }

  @Post(':id/members')
  @ApiOperation({ summary: 'Add a member or change its role (owner, admin, member)' })
  @ApiBody({ schema: openApiSchema(AddMemberInput) })
  @ApiResponse({ status: 201, ...view })
  async addMember(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Body(new ZodPipe(AddMemberInput)) body: AddMemberInput,
  ) {
    return unwrap(await this.orgs.addMember(caller, id, body));
  }

  @Delete(':id/members/:accountId')
  @ApiResponse({ status: 200, ...view })
  async removeMember(
    @CurrentCaller() caller: Caller,
    @Param('id', UuidPipe) id: string,
    @Param('accountId', UuidPipe) accountId: string,
  ) {
    return unwrap(await this.orgs.removeMember(caller, id, accountId));
  }
}
