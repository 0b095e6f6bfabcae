// Cursor pagination: the server gives the next page's cursor; the pages seen so far give "previous".
import { useState } from 'react';
import { t } from '../strings';

export function usePager() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    next: (cursor: string) => setCursors((c) => [...c, cursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([undefined]),
  };
}

export function Pager(props: {
  page: number;
  nextCursor: string | null;
  pager: ReturnType<typeof usePager>;
}) {
  if (props.page === 1 && !props.nextCursor) return null;
  return (
    <nav className="pager" aria-label={t.page(props.page)}>
      <button type="button" disabled={props.page === 1} onClick={props.pager.previous}>
        {t.previous}
      </button>
      <span>{t.page(props.page)}</span>
      <button
        type="button"
        disabled={!props.nextCursor}
        onClick={() => props.nextCursor && props.pager.next(props.nextCursor)}
      >
        {t.next}
      </button>
    </nav>
  );
}
