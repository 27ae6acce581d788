/**
 * A QR code as an SVG image with an accessible name, drawn from the QR matrix as rectangles: nothing is
 * parsed as markup. Black on white whatever the theme, with a quiet zone, so that any camera reads it.
 */
import { css, html, svg } from 'lit';
import { encode } from 'uqr';

export function qrCode(text: string, label: string) {
  const { data, size } = encode(text, { border: 2 });
  const cells = [];
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (data[y]![x]) cells.push(svg`<rect x=${x} y=${y} width="1" height="1"/>`);
  return html`<svg class="qr" role="img" aria-label=${label} viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">
    <g fill="#000">${cells}</g>
  </svg>`;
}

export const qrStyles = css`
  .qr {
    display: block;
    width: min(100%, 16rem);
    margin: 0.5rem auto 1rem;
    background: #fff;
    border-radius: 8px;
  }
`;
