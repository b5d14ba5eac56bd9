import { useEffect, useRef } from 'react';
import { lut, type Domain } from './colormap';
import { drawColorBar } from './heatmap-draw';
import { fmtCompact, fmtNum } from './format';

/** The colour bar of a heatmap with its two ends (and 0 for the diverging map). */
export function ColorLegend({ map, domain }: { map: 'viridis' | 'magma' | 'diverging'; domain: Domain }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (c) drawColorBar(c.getContext('2d')!, lut(map), c.width, c.height);
  }, [map]);
  return (
    <div className="cv-legend cv-colorbar" role="img" aria-label={`colour scale ${map} from ${fmtNum(domain.lo)} to ${fmtNum(domain.hi)}`} data-colormap={map}>
      <span title={fmtNum(domain.lo)}>{fmtCompact(domain.lo)}</span>
      <canvas ref={ref} width={160} height={10} aria-hidden="true" />
      <span title={fmtNum(domain.hi)}>{fmtCompact(domain.hi)}</span>
      <span className="cv-muted">({map}{map === 'diverging' ? ', centred at 0' : ''})</span>
    </div>
  );
}
