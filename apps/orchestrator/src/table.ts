/** Left-aligned columns two spaces apart, no trailing blanks; one line per row, newline-terminated. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    headers
      .map((_, i) => (cells[i] ?? '').padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [headers, ...rows].map((r) => `${line(r)}\n`).join('');
}
