// The one time a key's secret is shown: it lives in this dialog's props only, and is gone when it closes.
import { useState } from 'react';
import { Dialog } from '../components/Dialog';
import { t } from '../strings';

export function RevealDialog({ secret, onClose }: { secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(t.reveal.copied);
    } catch {
      setCopied(t.reveal.copyFailed);
    }
  };
  return (
    <Dialog title={t.reveal.title} onClose={onClose}>
      <p className="warning" role="note">
        {t.reveal.warning}
      </p>
      <label className="field">
        <span>{t.reveal.label}</span>
        <input
          className="secret"
          readOnly
          value={secret}
          onFocus={(e) => e.target.select()}
          autoComplete="off"
          spellCheck={false}
        />
      </label>
      <p role="status" className="copied">
        {copied}
      </p>
      <div className="dialog-actions">
        <button type="button" onClick={() => void copy()}>
          {t.reveal.copy}
        </button>
        <button type="button" className="primary" onClick={onClose}>
          {t.reveal.done}
        </button>
      </div>
    </Dialog>
  );
}
