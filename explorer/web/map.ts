/**
 * Coverage map without a tile server: device locations binned into H3 hexagons (h3-js), drawn as
 * SVG polygons in an equirectangular projection fitted to the hexagons, shaded by device count.
 * Everything is computed in the page: no request leaves the machine.
 */
import { cellToBoundary, latLngToCell } from "h3-js";

const SVG = "http://www.w3.org/2000/svg";

export function coverageMap(locations: Record<string, [number, number]>, resolution = 7): SVGSVGElement {
  const cells = new Map<string, string[]>();
  for (const [id, [lat, lng]] of Object.entries(locations)) {
    const c = latLngToCell(lat, lng, resolution);
    cells.set(c, [...(cells.get(c) ?? []), id]);
  }
  const shapes = [...cells].map(([cell, ids]) => ({ cell, ids, ring: cellToBoundary(cell) }));
  const pts = shapes.flatMap((s) => s.ring);
  const lats = pts.map((p) => p[0]);
  const lngs = pts.map((p) => p[1]);
  const [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const w = Math.max((maxLng - minLng) * k, 1e-6);
  const hgt = Math.max(maxLat - minLat, 1e-6);
  const W = 560;
  const H = Math.max(160, Math.min(420, (W * hgt) / w));
  const pad = 12;
  const sx = (W - 2 * pad) / w;
  const sy = (H - 2 * pad) / hgt;
  const s = Math.min(sx, sy);
  const xy = (lat: number, lng: number) => [pad + (lng - minLng) * k * s, pad + (maxLat - lat) * s];
  const max = Math.max(...shapes.map((x) => x.ids.length));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", String(W));
  svg.setAttribute("height", String(H));
  svg.setAttribute("class", "hexmap");
  svg.setAttribute("data-cells", String(shapes.length));
  for (const x of shapes) {
    const poly = document.createElementNS(SVG, "polygon");
    poly.setAttribute("points", x.ring.map(([la, ln]) => xy(la, ln).join(",")).join(" "));
    const t = 0.25 + 0.75 * (x.ids.length / max);
    poly.setAttribute("fill", `rgba(43,108,176,${t.toFixed(2)})`);
    poly.setAttribute("stroke", "#1a365d");
    poly.setAttribute("data-cell", x.cell);
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${x.cell}: ${x.ids.length} device${x.ids.length > 1 ? "s" : ""} (${x.ids.join(", ")})`;
    poly.append(title);
    svg.append(poly);
  }
  return svg;
}
