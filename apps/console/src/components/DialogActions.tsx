// A dialog's closing row: Cancel, then its one action (a submit of the dialog's form unless onClick is given).
import { t } from '../strings';

export function DialogActions(props: {
  onCancel: () => void;
  label: string;
  busy?: boolean;
  danger?: boolean;
  onClick?: () => void;
  cancelFirstFocus?: boolean;
}) {
  return (
    <div className="dialog-actions">
      <button type="button" onClick={props.onCancel} autoFocus={props.cancelFirstFocus}>
        {t.cancel}
      </button>
      <button
        type={props.onClick ? 'button' : 'submit'}
        className={props.danger ? 'danger' : 'primary'}
        disabled={props.busy}
        onClick={props.onClick}
      >
        {props.label}
      </button>
    </div>
  );
}
