/** A few DOM helpers: the page needs no framework. Text is always set as text (never as HTML). */
type Child = Node | string | number | bigint | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;

export function h(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function table(headers: string[], rows: (Child | Child[])[][], attrs: Attrs = {}): HTMLElement {
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, ...(Array.isArray(c) ? c : [c])))))),
  );
}

export const link = (href: string, text: Child, attrs: Attrs = {}) => h("a", { href, ...attrs }, text);

export const short = (hex: string | null | undefined, n = 6) =>
  !hex ? "—" : hex.length <= 2 + 2 * n ? hex : `${hex.slice(0, 2 + n)}…${hex.slice(-4)}`;

export function ago(unixMs: number | null | undefined): string {
  if (unixMs === null || unixMs === undefined) return "—";
  const s = Math.round((Date.now() - unixMs) / 1000);
  if (Math.abs(s) < 90) return `${s} s ago`;
  if (Math.abs(s) < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export const dur = (ms: number | null | undefined) =>
  ms === null || ms === undefined || !Number.isFinite(ms)
    ? "—"
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : `${(ms / 1000).toFixed(1)} s`;

export const time = (unixS: unknown) =>
  unixS === null || unixS === undefined ? "—" : new Date(Number(unixS) * 1000).toISOString().replace("T", " ").slice(0, 19);
