import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { TensorEntry } from '../../formats/checkpoint';
import { formatBytes } from '../../text/bytes';
import { formatShape } from './format';
import { filterAndSort, makeMatcher, visibleRange, type SortDir, type SortKey } from './table-model';

const ROW_HEIGHT = 28; // matches --cv-row-height

/**
 * Every tensor of a checkpoint in a virtualized grid: only the rows in view are in the DOM, so
 * tens of thousands of tensors scroll smoothly. Arrow keys move the cursor, Enter opens the stats.
 */
export function TensorTable({ name, tensors, selected, onSelect }: {
  name: string;
  tensors: TensorEntry[];
  selected: string | null;
  onSelect(tensor: string): void;
}) {
  const [query, setQuery] = useState('');
  const [regex, setRegex] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey | null; dir: SortDir }>({ key: null, dir: 'asc' });
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(360);
  const [cursor, setCursor] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);

  const matcher = useMemo(() => makeMatcher(query, regex), [query, regex]);
  const order = useMemo(() => filterAndSort(tensors, matcher.test, sort.key, sort.dir), [tensors, matcher, sort]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight - ROW_HEIGHT));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => setCursor((c) => Math.min(c, Math.max(0, order.length - 1))), [order.length]);

  const [first, last] = visibleRange(scrollTop, viewport, ROW_HEIGHT, order.length);
  const rowId = (i: number) => `tensor-row-${i}`;

  const moveTo = (i: number) => {
    const next = Math.max(0, Math.min(order.length - 1, i));
    setCursor(next);
    const el = scroller.current;
    if (!el) return;
    const top = next * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + viewport) el.scrollTop = top + ROW_HEIGHT - viewport;
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget || !order.length) return;
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: cursor + 1, ArrowUp: cursor - 1, PageDown: cursor + page, PageUp: cursor - page, Home: 0, End: order.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      moveTo(moves[e.key]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(tensors[order[cursor]].name);
    }
  };

  const header = (key: SortKey, label: string, className = '') => {
    const active = sort.key === key;
    return (
      <div role="columnheader" className={className} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" onClick={() => setSort({ key, dir: active && sort.dir === 'asc' ? 'desc' : 'asc' })} aria-label={`Sort by ${label}`}>
          {label}{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
        </button>
      </div>
    );
  };

  return (
    <section aria-labelledby="tensor-table-heading">
      <h2 id="tensor-table-heading">Tensors of {name}</h2>
      <div className="cv-toolbar" style={{ marginBottom: 'var(--cv-space-2)' }}>
        <label className="cv-field">
          Filter
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder={regex ? 'regular expression' : 'part of a name'}
            aria-label="Filter tensors by name"
            aria-invalid={!!matcher.error}
            aria-describedby="tensor-filter-note"
            spellCheck={false}
          />
        </label>
        <label className="cv-field">
          <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} />
          Regex
        </label>
        <span id="tensor-filter-note" className={matcher.error ? 'cv-badge cv-badge-danger' : 'cv-muted cv-small'} data-testid="tensor-count" role="status">
          {matcher.error ? `Invalid pattern: ${matcher.error}` : `${order.length.toLocaleString('en-US')} of ${tensors.length.toLocaleString('en-US')} tensors`}
        </span>
      </div>
      <div
        ref={scroller}
        className="cv-vtable cv-vtable-scroll"
        role="grid"
        aria-label={`Tensors of ${name}`}
        aria-rowcount={order.length + 1}
        aria-colcount={4}
        aria-activedescendant={order.length ? rowId(cursor) : undefined}
        tabIndex={0}
        onKeyDown={onKey}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <div role="rowgroup" style={{ position: 'sticky', top: 0, zIndex: 1, background: 'var(--cv-surface)' }}>
          <div role="row" className="cv-vtable-head" aria-rowindex={1}>
            {header('name', 'Name')}
            {header('dtype', 'dtype')}
            <div role="columnheader">Shape</div>
            {header('size', 'Size', 'num')}
          </div>
        </div>
        <div role="rowgroup" style={{ position: 'relative', height: order.length * ROW_HEIGHT }}>
          {order.slice(first, last).map((ti, k) => {
            const i = first + k;
            const t = tensors[ti];
            return (
              <div
                key={t.name}
                id={rowId(i)}
                role="row"
                aria-rowindex={i + 2}
                aria-selected={t.name === selected}
                className="cv-vtable-row"
                data-cursor={i === cursor || undefined}
                style={{ top: i * ROW_HEIGHT, outline: i === cursor ? '1px dashed var(--cv-border-strong)' : undefined }}
                onClick={() => {
                  setCursor(i);
                  onSelect(t.name);
                }}
              >
                <span role="gridcell" className="cv-mono" title={t.name}>{t.name}</span>
                <span role="gridcell">{t.dtype}</span>
                <span role="gridcell" className="cv-mono">{formatShape(t.shape)}</span>
                <span role="gridcell" className="num">{formatBytes(t.byteLength)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
