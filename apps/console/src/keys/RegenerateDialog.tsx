import { type FormEvent, useState } from 'react';
import { api, messageOf } from '../api';
import { Dialog } from '../components/Dialog';
import { DialogActions } from '../components/DialogActions';
import { ErrorNotice } from '../components/Notice';
import { t } from '../strings';
import type { KeyView, KeyWithSecret } from '../types';

export function RegenerateDialog(props: {
  keyView: KeyView;
  onClose: () => void;
  onRegenerated: (key: KeyWithSecret) => void;
}) {
  const [grace, setGrace] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      props.onRegenerated(
        await api<KeyWithSecret>('POST', `/v1/keys/${props.keyView.id}/regenerate`, {
          gracePeriodSeconds: grace,
        }),
      );
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t.regenerate.title(props.keyView.name)} onClose={props.onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <p>{t.regenerate.explain}</p>
        <label className="field">
          <span>{t.regenerate.grace}</span>
          <select value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
            {t.regenerate.graceOptions.map((o) => (
              <option key={o.seconds} value={o.seconds}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <ErrorNotice message={error} />
        <DialogActions onCancel={props.onClose} label={t.regenerate.submit} busy={busy} />
      </form>
    </Dialog>
  );
}
