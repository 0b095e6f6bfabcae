// Create or edit a key: name, expiry, quota, pricing group, allowed models, IP allow-list, management
// permissions and the key's own rate limits; editing adds the enabled switch and sends only what changed.
import { type FormEvent, useId, useState } from 'react';
import { api, ApiError, messageOf } from '../api';
import { Dialog } from '../components/Dialog';
import { DialogActions } from '../components/DialogActions';
import { ErrorNotice } from '../components/Notice';
import { useLoad } from '../components/useLoad';
import { t } from '../strings';
import type { KeyView, KeyWithSecret, PricingGroupView, Scope } from '../types';
import { bodyOf, type Form, initial, QUOTAS } from './key-body';

const PERMISSIONS = ['read', 'write', 'admin', 'webhook'] as const;

export function KeyFormDialog(props: {
  scope: Scope;
  existing?: KeyView;
  onClose: () => void;
  onCreated?: (key: KeyWithSecret) => void;
  onSaved?: (key: KeyView) => void;
}) {
  const before = props.existing ? initial(props.existing) : null;
  const [form, setForm] = useState<Form>(() => initial(props.existing));
  const [error, setError] = useState<{ message: string; param: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const groups = useLoad(() => api<PricingGroupView[]>('GET', '/v1/pricing/groups'), []);
  const groupNames = (groups.value ?? []).map((g) => g.name);
  const id = useId();
  const set = <K extends keyof Form>(field: K, value: Form[K]) => setForm((f) => ({ ...f, [field]: value }));
  const invalid = (param: string) => (error?.param === param ? true : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = bodyOf(form, before);
      if (props.existing) {
        if (Object.keys(body).length === 0) return props.onClose();
        props.onSaved?.(await api<KeyView>('PATCH', `/v1/keys/${props.existing.id}`, body));
      } else {
        props.onCreated?.(
          await api<KeyWithSecret>('POST', '/v1/keys', {
            ...body,
            owner: { type: props.scope.type, id: props.scope.id },
          }),
        );
      }
    } catch (err) {
      setError({ message: messageOf(err), param: err instanceof ApiError ? err.param : null });
      setBusy(false);
    }
  };

  const f = t.keyForm;
  return (
    <Dialog
      title={props.existing ? f.editTitle(props.existing.name) : f.createTitle}
      onClose={props.onClose}
      wide
    >
      <form onSubmit={(e) => void submit(e)} className="key-form">
        <label className="field">
          <span>{f.name}</span>
          <input
            required
            maxLength={64}
            value={form.name}
            onChange={(e) => set('name', e.target.value)}
            aria-invalid={invalid('name')}
            autoFocus
          />
        </label>
        {props.existing && (
          <label className="check">
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(e) => set('enabled', e.target.checked)}
            />
            <span>{f.enabledLabel}</span>
          </label>
        )}
        <fieldset>
          <legend>{f.expiry}</legend>
          <label className="check">
            <input
              type="radio"
              name={`${id}-expiry`}
              checked={!form.expires}
              onChange={() => set('expires', false)}
            />
            <span>{f.expiryNever}</span>
          </label>
          <label className="check">
            <input
              type="radio"
              name={`${id}-expiry`}
              checked={form.expires}
              onChange={() => set('expires', true)}
            />
            <span>{f.expiryOn}</span>
          </label>
          {form.expires && (
            <label className="field">
              <span>{f.expiryDate}</span>
              <input
                type="date"
                required
                value={form.expiryDate}
                onChange={(e) => set('expiryDate', e.target.value)}
                aria-invalid={invalid('expiresAt')}
              />
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>{f.quota}</legend>
          {QUOTAS.map((q) => (
            <label className="check" key={q}>
              <input
                type="radio"
                name={`${id}-quota`}
                checked={form.quotaType === q}
                onChange={() => set('quotaType', q)}
              />
              <span>{f.quotaTypes[q]}</span>
            </label>
          ))}
          {form.quotaType !== 'unlimited' && (
            <label className="field">
              <span>{f.quotaLimit}</span>
              <input
                type="number"
                required
                min="0.000001"
                step="any"
                value={form.quotaLimit}
                onChange={(e) => set('quotaLimit', e.target.value)}
                aria-invalid={invalid('quota') ?? invalid('limit')}
              />
            </label>
          )}
        </fieldset>
        <label className="field">
          <span>{f.group}</span>
          <input
            list={`${id}-groups`}
            maxLength={64}
            value={form.group}
            onChange={(e) => set('group', e.target.value)}
            aria-invalid={invalid('group')}
          />
          <datalist id={`${id}-groups`}>
            {groupNames.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>{f.models}</span>
          <textarea
            rows={2}
            value={form.models}
            onChange={(e) => set('models', e.target.value)}
            aria-describedby={`${id}-models-hint`}
            aria-invalid={invalid('allowedModels')}
          />
          <small id={`${id}-models-hint`}>{f.modelsHint}</small>
        </label>
        <label className="field">
          <span>{f.ips}</span>
          <textarea
            rows={2}
            value={form.ips}
            onChange={(e) => set('ips', e.target.value)}
            aria-describedby={`${id}-ips-hint`}
            aria-invalid={invalid('ipAllowlist')}
          />
          <small id={`${id}-ips-hint`}>{f.ipsHint}</small>
        </label>
        <fieldset aria-describedby={`${id}-perm-hint`}>
          <legend>{f.permissions}</legend>
          {PERMISSIONS.map((p) => (
            <label className="check" key={p}>
              <input
                type="checkbox"
                checked={form.permissions.includes(p)}
                onChange={(e) =>
                  set(
                    'permissions',
                    e.target.checked ? [...form.permissions, p] : form.permissions.filter((x) => x !== p),
                  )
                }
              />
              <span>{f.permissionNames[p]}</span>
            </label>
          ))}
          <small id={`${id}-perm-hint`}>{f.permissionsHint}</small>
        </fieldset>
        <div className="pair">
          <label className="field">
            <span>{f.rpm}</span>
            <input
              type="number"
              min="1"
              step="1"
              value={form.rpm}
              onChange={(e) => set('rpm', e.target.value)}
              aria-describedby={`${id}-limit-hint`}
              aria-invalid={invalid('rpm')}
            />
          </label>
          <label className="field">
            <span>{f.tpm}</span>
            <input
              type="number"
              min="1"
              step="1"
              value={form.tpm}
              onChange={(e) => set('tpm', e.target.value)}
              aria-describedby={`${id}-limit-hint`}
              aria-invalid={invalid('tpm')}
            />
          </label>
        </div>
        <small id={`${id}-limit-hint`}>{f.limitHint}</small>
        <ErrorNotice message={error?.message ?? null} />
        <DialogActions
          onCancel={props.onClose}
          label={props.existing ? f.submitEdit : f.submitCreate}
          busy={busy}
        />
      </form>
    </Dialog>
  );
}
