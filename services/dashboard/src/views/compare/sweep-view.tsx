import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../api/client';
import type { SweepSummaryQuery, SweepSummaryQueryVariables } from '../../api/generated';
import { SWEEP_SUMMARY } from '../../api/operations';
import { formatNumber } from '../runs/columns';
import { parallelAxes, type ParallelAxis } from './parallel-axes';
import { messageOf } from '../../api/message-of';

/** A sweep: each run as a line across its params and the objective, and each param's correlation with it. */
export function SweepView({ sweepId }: { sweepId: string }) {
  const [data, setData] = useState<SweepSummaryQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = async () => {
      // First its objective (the sweep's own), then the rows with its values.
      const first = await request<SweepSummaryQuery, SweepSummaryQueryVariables>(SWEEP_SUMMARY, {
        sweepId,
        metrics: [],
      });
      const objective = first.sweepSummary.objective;
      if (!objective) return first;
      return request<SweepSummaryQuery, SweepSummaryQueryVariables>(SWEEP_SUMMARY, {
        sweepId,
        metrics: [objective],
      });
    };
    load().then(setData, (e: unknown) => setError(messageOf(e)));
  }, [sweepId]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">loading the sweep…</p>;
  const summary = data.sweepSummary;
  const axes = parallelAxes(summary.rows, summary.objective);
  return (
    <section class="sweep-view">
      <h1>Sweep {data.sweep?.name ?? sweepId}</h1>
      <p>
        {summary.rows.length} runs · objective {summary.objective ?? 'none'}
        {summary.goal ? ` (${summary.goal})` : ''}
      </p>
      <ParallelCoordinates axes={axes} lines={summary.rows.length} />
      <h2>Correlation with the objective (Spearman)</h2>
      <table class="importance">
        <tbody>
          {summary.importance.map((entry) => (
            <tr key={entry.key} data-param={entry.key}>
              <th scope="row">{entry.key}</th>
              <td class="number">{entry.spearman === null ? '—' : formatNumber(entry.spearman)}</td>
              <td>
                <span class="bar" style={{ width: `${Math.abs(entry.spearman ?? 0) * 10}rem` }} />
              </td>
              <td class="muted">{entry.runs} runs</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ParallelCoordinates({ axes, lines }: { axes: ParallelAxis[]; lines: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context || axes.length === 0) return;
    const width = (element.width = element.clientWidth * devicePixelRatio);
    const height = (element.height = 260 * devicePixelRatio);
    context.clearRect(0, 0, width, height);
    const margin = 50 * devicePixelRatio;
    const xOf = (i: number) => margin + (i * (width - 2 * margin)) / Math.max(1, axes.length - 1);
    const yOf = (t: number) => height - margin - t * (height - 2 * margin);
    const objective = axes[axes.length - 1];
    for (let line = 0; line < lines; line++) {
      const shade = objective.positions[line];
      context.strokeStyle = shade === null ? '#9993' : `hsla(${220 - 200 * shade}, 70%, 45%, 0.55)`;
      context.beginPath();
      let drawing = false;
      axes.forEach((axis, i) => {
        const t = axis.positions[line];
        if (t === null) {
          drawing = false;
          return;
        }
        if (drawing) context.lineTo(xOf(i), yOf(t));
        else context.moveTo(xOf(i), yOf(t));
        drawing = true;
      });
      context.stroke();
    }
    context.fillStyle = '#222';
    context.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    axes.forEach((axis, i) => {
      context.fillRect(xOf(i), margin, devicePixelRatio, height - 2 * margin);
      context.textAlign = 'center';
      context.fillText(axis.name, xOf(i), margin - 10 * devicePixelRatio);
      context.fillText(axis.low, xOf(i), height - margin + 16 * devicePixelRatio);
      context.fillText(axis.high, xOf(i), margin + 12 * devicePixelRatio);
    });
  }, [axes, lines]);
  return <canvas ref={canvas} class="parallel" data-axes={axes.length} data-lines={lines} />;
}
