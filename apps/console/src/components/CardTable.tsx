// A table of rows that turn into labelled cards on narrow screens (styles.css, table.cards): each row's first
// cell is its header, every cell carries its column's name for the card's label, and the table scrolls
// (focusable) where it does not fit.
import type { ReactNode } from 'react';
import { TableScroll } from './TableScroll';

export interface CardRow {
  key: string;
  cells: ReactNode[];
  /** Cells (by index) holding numbers, aligned right. */
  numeric?: number[];
}

export function CardTable(props: {
  label: string;
  labelledBy?: string;
  columns: string[];
  rows: CardRow[];
  className?: string;
}) {
  return (
    <TableScroll label={props.label}>
      <table className={`cards ${props.className ?? ''}`.trim()} aria-labelledby={props.labelledBy}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.key}>
              {row.cells.map((cell, i) =>
                i === 0 ? (
                  <th key={i} scope="row" data-label={props.columns[0]}>
                    {cell}
                  </th>
                ) : (
                  <td
                    key={i}
                    data-label={props.columns[i]}
                    className={row.numeric?.includes(i) ? 'num' : undefined}
                  >
                    {cell}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
