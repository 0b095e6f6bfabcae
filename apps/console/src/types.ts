// The REST shapes the console reads: types only, from the contracts every service parses (no runtime code of
// the contracts ships in the bundle).
export type {
  AccountPage,
  AccountView,
  KeyPage,
  KeyView,
  KeyWithSecret,
  MeView,
  ModelPriceView,
  OrganizationView,
  PricingGroupView,
  TierView,
  UsageView,
  CreateKeyInput,
  UpdateKeyInput,
} from '@gw/contracts';

export interface SessionView {
  account: { id: string };
  operator: boolean;
  csrfToken: string;
  expiresAt: string;
}

/** Whose keys and usage the console shows: the person's own account or one of its organizations. */
export type Scope =
  | { type: 'account'; id: string; name: string }
  | { type: 'organization'; id: string; name: string; role: 'owner' | 'admin' | 'member' };
