/** A titled two-column table; values are text (params are strings, as in MLflow). */
export function KeyValueTable({ title, rows }: { title: string; rows: [string, string][] }) {
  return (
    <section class="kv">
      <h2>{title}</h2>
      {rows.length === 0 ? <p class="muted">none</p> : null}
      <table>
        <tbody>
          {rows.map(([key, value], i) => (
            <tr key={`${key}-${i}`}>
              <th scope="row">{key}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
