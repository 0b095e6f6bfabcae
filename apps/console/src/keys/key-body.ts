// The key dialog's form as data: its starting values from a key, the request body it makes (everything on
// create; on edit only what changed, so an untouched past expiry is not sent back), and the list's
// "consumed / limit" text. Pure: unit-tested without a browser.
import { t } from '../strings';
import type { KeyView } from '../types';

export const QUOTAS = ['unlimited', 'monthly', 'total'] as const;

export interface Form {
  name: string;
  enabled: boolean;
  expires: boolean;
  expiryDate: string;
  quotaType: (typeof QUOTAS)[number];
  quotaLimit: string;
  group: string;
  models: string;
  ips: string;
  permissions: string[];
  rpm: string;
  tpm: string;
}

export const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
/** The end of the chosen day in the person's own time zone. */
export const endOfDay = (date: string) => new Date(`${date}T23:59:59`).toISOString();
const localDate = (iso: string) => {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const numberOrNull = (s: string) => (s.trim() === '' ? null : Number(s));

export function initial(key?: KeyView): Form {
  return {
    name: key?.name ?? '',
    enabled: key ? key.status !== 'disabled' : true,
    expires: !!key?.expiresAt,
    expiryDate: key?.expiresAt ? localDate(key.expiresAt) : '',
    quotaType: key?.quota.type ?? 'unlimited',
    quotaLimit: key?.quota.limit != null ? String(key.quota.limit) : '',
    group: key?.group ?? '',
    models: key?.allowedModels.join('\n') ?? '',
    ips: key?.ipAllowlist.join('\n') ?? '',
    permissions: key?.permissions ?? [],
    rpm: key?.rpm != null ? String(key.rpm) : '',
    tpm: key?.tpm != null ? String(key.tpm) : '',
  };
}

/** The request body: every field on create; on edit, the fields that differ from the key as it was. */
export function bodyOf(form: Form, before: Form | null): Record<string, unknown> {
  const fields: Record<keyof Form, () => [string, unknown][]> = {
    name: () => [['name', form.name.trim()]],
    enabled: () => [['enabled', form.enabled]],
    expires: () => [['expiresAt', form.expires && form.expiryDate ? endOfDay(form.expiryDate) : null]],
    expiryDate: () => fields.expires(),
    quotaType: () => [
      [
        'quota',
        form.quotaType === 'unlimited'
          ? { type: 'unlimited' }
          : { type: form.quotaType, limit: Number(form.quotaLimit) },
      ],
    ],
    quotaLimit: () => fields.quotaType(),
    group: () => (form.group.trim() ? [['group', form.group.trim()]] : []),
    models: () => [['allowedModels', list(form.models)]],
    ips: () => [['ipAllowlist', list(form.ips)]],
    permissions: () => [['permissions', form.permissions]],
    rpm: () => [['rpm', numberOrNull(form.rpm)]],
    tpm: () => [['tpm', numberOrNull(form.tpm)]],
  };
  const body: Record<string, unknown> = {};
  for (const field of Object.keys(fields) as (keyof Form)[]) {
    if (field === 'enabled' && !before) continue;
    if (before && JSON.stringify(form[field]) === JSON.stringify(before[field])) continue;
    for (const [k, v] of fields[field]()) body[k] = v;
  }
  if (!before) {
    if (body.expiresAt === null) delete body.expiresAt;
    if (body.rpm === null) delete body.rpm;
    if (body.tpm === null) delete body.tpm;
  }
  return body;
}

/** "45.50 / Unlimited": credits consumed in the quota's period over its limit. */
export function consumed(key: KeyView): string {
  const used = (key.quota.used ?? 0).toFixed(2);
  return `${used} / ${key.quota.limit === null ? t.unlimited : key.quota.limit.toFixed(2)}`;
}
