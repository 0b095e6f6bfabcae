import { api } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { t } from '../strings';
import type { KeyView } from '../types';

export function DeleteDialog(props: { keyView: KeyView; onClose: () => void; onDeleted: () => void }) {
  return (
    <ConfirmDialog
      title={t.remove.title(props.keyView.name)}
      explain={t.remove.explain}
      label={t.remove.submit}
      onClose={props.onClose}
      onConfirm={async () => {
        await api('DELETE', `/v1/keys/${props.keyView.id}`);
        props.onDeleted();
      }}
    />
  );
}
