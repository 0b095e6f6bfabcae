// "Are you sure?" for what cannot be taken back lightly (delete a key, suspend an account): Cancel has the
// focus, the action's error shows in the dialog.
import { useState } from 'react';
import { messageOf } from '../api';
import { Dialog } from './Dialog';
import { DialogActions } from './DialogActions';
import { ErrorNotice } from './Notice';

export function ConfirmDialog(props: {
  title: string;
  explain: string;
  label: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await props.onConfirm();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>{props.explain}</p>
      <ErrorNotice message={error} />
      <DialogActions
        onCancel={props.onClose}
        label={props.label}
        busy={busy}
        danger
        onClick={() => void confirm()}
        cancelFirstFocus
      />
    </Dialog>
  );
}
