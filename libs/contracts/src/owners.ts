import { z } from 'zod';
import { DisplayName, hasControlCharacters, NameSearch, PageLimit, Slug, Uuid } from './common.js';

export const OWNER_TYPES = ['account', 'organization'] as const;
export type OwnerType = (typeof OWNER_TYPES)[number];
export const OwnerRef = z.strictObject({ type: z.enum(OWNER_TYPES), id: Uuid });
export type OwnerRef = z.infer<typeof OwnerRef>;

export const OWNER_STATUSES = ['active', 'suspended'] as const;
export type OwnerStatus = (typeof OWNER_STATUSES)[number];
export const ORG_ROLES = ['owner', 'admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** Credit amounts in the API are credits (decimal, ≤ 6 places); stored as integer micro-credits. */
export const Credits = z.number().min(0).max(1_000_000_000);

/** Pricing groups the operator lets an owner choose for its keys (keys can always keep their own group). */
const PricingGroups = z
  .array(Slug)
  .max(20)
  .refine((a) => new Set(a).size === a.length, 'must not repeat entries');

export const CreateAccountInput = z.strictObject({
  name: DisplayName,
  tier: Slug.default('free'),
  creditLimit: Credits.nullable().optional(),
  pricingGroups: PricingGroups.optional(),
});
export type CreateAccountInput = z.infer<typeof CreateAccountInput>;

/** What the operator may change of any owner, account or organization. */
const ownerChanges = {
  name: DisplayName.optional(),
  tier: Slug.optional(),
  creditLimit: Credits.nullable().optional(),
  status: z.enum(OWNER_STATUSES).optional(),
  pricingGroups: PricingGroups.optional(),
};
const someField = (v: object) => Object.keys(v).length > 0;

export const UpdateAccountInput = z
  .strictObject(ownerChanges)
  .refine(someField, 'at least one field is required');
export type UpdateAccountInput = z.infer<typeof UpdateAccountInput>;

export const AccountView = z.object({
  id: z.uuid(),
  name: z.string(),
  tier: z.string(),
  /** Credits; null = no owner-wide limit. */
  creditLimit: z.number().nullable(),
  status: z.enum(OWNER_STATUSES),
  pricingGroups: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AccountView = z.infer<typeof AccountView>;

/** Organizations are the operator's to create (docs/decisions.md: organizations cannot escape limits). */
export const CreateOrganizationInput = z.strictObject({
  name: DisplayName,
  tier: Slug.default('free'),
  creditLimit: Credits.nullable().optional(),
  pricingGroups: PricingGroups.optional(),
  /** The account that becomes the org's first owner. */
  ownerAccountId: Uuid,
});
export type CreateOrganizationInput = z.infer<typeof CreateOrganizationInput>;

export const UpdateOrganizationInput = z
  .strictObject({
    ...ownerChanges,
    /**
     * Its roles may come from the identity provider's groups (OIDC_ORGANIZATION_GROUP_PREFIX): off until the
     * operator turns it on for this organization.
     */
    groupRoles: z.boolean().optional(),
  })
  .refine(someField, 'at least one field is required');
export type UpdateOrganizationInput = z.infer<typeof UpdateOrganizationInput>;

export const AddMemberInput = z.strictObject({ accountId: Uuid, role: z.enum(ORG_ROLES).default('member') });
export type AddMemberInput = z.infer<typeof AddMemberInput>;

export const OrganizationView = AccountView.extend({
  /** Whether roles may come from the identity provider's groups (see UpdateOrganizationInput). */
  groupRoles: z.boolean(),
  /**
   * Each member's account, its name as the console shows it, and where the membership came from: made by
   * hand, or from the identity provider's groups (changed by hand, it becomes a hand-made one).
   */
  members: z.array(
    z.object({
      accountId: z.uuid(),
      name: z.string(),
      role: z.enum(ORG_ROLES),
      source: z.enum(['manual', 'groups']),
    }),
  ),
});
export type OrganizationView = z.infer<typeof OrganizationView>;

/** Operator: the accounts list, newest first. */
export const ListAccountsQuery = z.strictObject({
  /** Accounts whose name contains this text, case-insensitive. */
  search: NameSearch,
  status: z.enum(OWNER_STATUSES).optional(),
  limit: PageLimit,
  cursor: z.string().max(200).optional(),
});
export type ListAccountsQuery = z.infer<typeof ListAccountsQuery>;
export const AccountPage = z.object({ data: z.array(AccountView), nextCursor: z.string().nullable() });
export type AccountPage = z.infer<typeof AccountPage>;

/** Who is calling: the caller's account (none for the operator token), its organizations and role in each. */
export const MeView = z.object({
  account: AccountView.nullable(),
  operator: z.boolean(),
  organizations: z.array(z.object({ id: z.uuid(), name: z.string(), role: z.enum(ORG_ROLES) })),
});
export type MeView = z.infer<typeof MeView>;

/** The answer to ending an account's console sessions: how many were still open. */
export const EndedSessions = z.object({ ended: z.number().int() });
export type EndedSessions = z.infer<typeof EndedSessions>;

/** Operator: lets a person sign in to the console as this account (their subject at the identity provider). */
export const LinkIdentityInput = z.strictObject({
  /** The provider's `sub` for the person, as its admin console shows it. */
  subject: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !hasControlCharacters(s), 'must not contain control characters'),
  /** The provider's issuer URL; default: the configured OIDC_ISSUER. */
  issuer: z.url().max(500).optional(),
});
export type LinkIdentityInput = z.infer<typeof LinkIdentityInput>;
/** Operator: which person no longer signs in as the account (the same fields, as query parameters). */
export const UnlinkIdentityQuery = LinkIdentityInput;
export type UnlinkIdentityQuery = LinkIdentityInput;
export const UnlinkedIdentity = z.object({
  unlinked: z.boolean(),
  /** The account's console sessions ended with it. */
  ended: z.number().int(),
});
export type UnlinkedIdentity = z.infer<typeof UnlinkedIdentity>;

export const SignInIdentityView = z.object({
  issuer: z.string(),
  subject: z.string(),
  accountId: z.uuid(),
  createdAt: z.string(),
  /** null until the person first signs in. */
  lastSignInAt: z.string().nullable(),
});
export type SignInIdentityView = z.infer<typeof SignInIdentityView>;
