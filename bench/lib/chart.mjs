// A dependency-free SVG bar chart of the cold-verify results: each library as a share of raw
// node:crypto.verify, per algorithm (higher is better, 100 % is the physical limit).

const CONTENDERS = [
  ['latchkey', 'Latchkey', '#2563eb'],
  ['fastjwt', 'fast-jwt (no cache)', '#16a34a'],
  ['jose', 'jose jwtVerify', '#f59e0b'],
  ['fastjwt_async_key', 'fast-jwt (async key)', '#9ca3af'],
];

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export function renderChart(result) {
  const algs = ['ES256', 'EdDSA', 'RS256'];
  const barH = 16;
  const gap = 4;
  const groupGap = 22;
  const left = 70;
  const plotW = 480;
  const top = 58;
  const groupH = CONTENDERS.length * (barH + gap);
  const height = top + algs.length * (groupH + groupGap) + 40;
  const width = left + plotW + 150;
  const x = (share) => left + Math.max(0, Math.min(1.1, share)) / 1.1 * plotW;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(`<text x="${left}" y="22" font-size="15" font-weight="600">Cold JWT verification, share of raw node:crypto.verify (per core)</text>`);
  parts.push(`<text x="${left}" y="40" fill="#555">${esc(`${result.quick ? 'quick' : 'full'} run ${result.generated_at.slice(0, 10)}, Node ${result.machine.node}, ${result.machine.cores} cores (shared); medians of interleaved rounds`)}</text>`);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 34}" stroke="${t === 1 ? '#111' : '#ddd'}" stroke-dasharray="${t === 1 ? '4 3' : ''}"/>`);
    parts.push(`<text x="${x(t)}" y="${height - 20}" text-anchor="middle" fill="#555">${t * 100} %</text>`);
  }
  algs.forEach((alg, g) => {
    const y0 = top + g * (groupH + groupGap);
    const raw = result.figures.cold_ops_per_s[alg].raw;
    parts.push(`<text x="${left - 8}" y="${y0 + groupH / 2}" text-anchor="end" font-weight="600" dominant-baseline="middle">${alg}</text>`);
    CONTENDERS.forEach(([key, , color], i) => {
      const share = result.figures.cold_vs_raw_all[alg][key];
      const y = y0 + i * (barH + gap);
      parts.push(`<rect x="${left}" y="${y}" width="${x(share) - left}" height="${barH}" fill="${color}"/>`);
      parts.push(`<text x="${x(share) + 4}" y="${y + barH / 2}" dominant-baseline="middle" fill="#222">${(share * 100).toFixed(0)} %</text>`);
    });
    parts.push(`<text x="${left + plotW + 40}" y="${y0 + groupH / 2}" dominant-baseline="middle" fill="#555">raw ${raw.toLocaleString('en-US')}/s</text>`);
  });
  CONTENDERS.forEach(([, label, color], i) => {
    const y = top + i * 18;
    parts.push(`<rect x="${left + plotW + 40}" y="${y + 60 + algs.length * 40}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${left + plotW + 55}" y="${y + 69 + algs.length * 40}">${esc(label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
