/** A datetime-local input's value (the browser's time zone, to the second) from epoch ms, and back. */
export function toLocalInput(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export function fromLocalInput(value: string): number | null {
  if (value === '') return null;
  const epochMs = new Date(value).getTime();
  return Number.isFinite(epochMs) ? epochMs : null;
}
