// Table cells of the CLI's fixed-width listings: one line, cut to a width with a visible mark where text was cut.

/** `text` on one line (runs of whitespace as one space), at most `width` characters, ending in … when cut. */
export function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}
