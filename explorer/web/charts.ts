/** Charts with uPlot (small, fast, no dependencies). Series values are floats for drawing only. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f"];

export function lineChart(
  el: HTMLElement,
  title: string,
  xs: number[],
  series: { label: string; values: (number | null)[] }[],
  opts: { time?: boolean; bars?: boolean; height?: number } = {},
): uPlot {
  const width = Math.max(320, Math.min(el.clientWidth || 560, 560));
  return new uPlot(
    {
      title,
      width,
      height: opts.height ?? 200,
      scales: {
        x: opts.time === false ? { time: false, range: (_u, lo, hi) => [lo - 0.6, hi + 0.6] } : { time: true },
        y: { range: (_u, _lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] },
      },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          fill: opts.bars ? COLORS[i % COLORS.length] + "55" : undefined,
          width: 2,
          paths: opts.bars ? uPlot.paths.bars!({ size: [0.6, 40] }) : undefined,
          points: { show: xs.length < 40 },
        })),
      ],
      axes: [{}, { size: 72 }],
    },
    [xs, ...series.map((s) => s.values)] as uPlot.AlignedData,
    el,
  );
}
