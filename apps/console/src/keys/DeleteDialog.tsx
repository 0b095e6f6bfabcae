import { useState } from 'react';
import { api, messageOf } from '../api';
import { Dialog } from '../components/Dialog';
import { ErrorNotice } from '../components/Notice';
import { t } from '../strings';
import type { KeyView } from '../types';

export function DeleteDialog(props: { keyView: KeyView; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await api('DELETE', `/v1/keys/${props.keyView.id}`);
      props.onDeleted();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t.remove.title(props.keyView.name)} onClose={props.onClose}>
      <p>{t.remove.explain}</p>
      <ErrorNotice message={error} />
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose} autoFocus>
          {t.cancel}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
          {t.remove.submit}
        </button>
      </div>
    </Dialog>
  );
}
