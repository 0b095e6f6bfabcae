// Status lines: errors are alerts (read out at once), progress and confirmations are polite statuses.
import { t } from '../strings';

export function ErrorNotice({ message, onDismiss }: { message: string | null; onDismiss?: () => void }) {
  if (!message) return null;
  return (
    <div className="notice error" role="alert">
      <span>{message}</span>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          {t.dismiss}
        </button>
      )}
    </div>
  );
}

export function InfoNotice({ message }: { message: string | null }) {
  return (
    <div className="notice info" role="status" hidden={!message}>
      {message}
    </div>
  );
}

export function Loading() {
  return (
    <p className="loading" role="status">
      {t.loading}
    </p>
  );
}
