// A wide table's horizontal scroller: at 390 px a keyboard user scrolls it too, so it takes focus and is
// named as a region.
import type { ReactNode } from 'react';
import { t } from '../strings';

export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={t.tableOf(label)}>
      {children}
    </div>
  );
}
