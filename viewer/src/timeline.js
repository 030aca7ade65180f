// The curves and the phoneme and word tracks under the heads, with a cursor at the current time; a click or a drag
// on it seeks. The static drawing is cached in an offscreen canvas; each frame blits it and draws the cursor.
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#bab0ac'];
const DASHES = [[], [6, 4], [2, 3], [8, 3, 2, 3]];
const LEFT = 72;
const CURVES = 150;
const AXIS = 18;
const ROW = 20;

export class Timeline {
  constructor(container, takes, duration, seek) {
    this.takes = takes;
    this.duration = duration;
    this.rows = trackRows(takes);
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'fm-timeline';
    this.legend = document.createElement('div');
    this.legend.className = 'fm-legend';
    container.append(this.canvas, this.legend);
    this.cache = document.createElement('canvas');
    this.channels = [];
    this.width = 0;
    const seekAt = (event) => {
      const box = this.canvas.getBoundingClientRect();
      seek(Math.min(Math.max((event.clientX - box.left - LEFT) / (box.width - LEFT), 0), 1) * this.duration);
    };
    this.canvas.addEventListener('pointerdown', (event) => {
      this.canvas.setPointerCapture(event.pointerId);
      seekAt(event);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (this.canvas.hasPointerCapture(event.pointerId)) seekAt(event);
    });
  }

  get height() { return CURVES + AXIS + ROW * this.rows.length; }

  // Draw these channels' curves (names of the first take; the others draw the same names, dashed).
  setChannels(names) {
    this.channels = names;
    this.legend.replaceChildren(...names.map((name, k) => {
      const item = document.createElement('span');
      item.innerHTML = `<i style="background:${COLOURS[k % COLOURS.length]}"></i>`;
      item.append(name);
      return item;
    }), ...(this.takes.length > 1 ? this.takes.map((take, k) => {
      const item = document.createElement('span');
      item.className = 'fm-take-style';
      item.textContent = `${take.name}: ${['solid', 'dashed', 'dotted', 'dash-dot'][k]}`;
      return item;
    }) : []));
    this.render();
  }

  resize(width) {
    this.width = width;
    const ratio = window.devicePixelRatio || 1;
    for (const canvas of [this.canvas, this.cache]) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(this.height * ratio);
    }
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.render();
  }

  x(t) { return LEFT + (t / this.duration) * (this.width - LEFT); }

  // The cached drawing: grid, curves, tracks.
  render() {
    if (this.width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const g = this.cache.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.fillStyle = '#1e2127';
    g.fillRect(0, 0, this.width, this.height);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    this.drawAxis(g);
    this.takes.forEach((take, k) => this.drawCurves(g, take, DASHES[k % DASHES.length]));
    this.rows.forEach((row, r) => this.drawRow(g, row, CURVES + AXIS + r * ROW));
  }

  drawAxis(g) {
    const step = niceStep(this.duration, (this.width - LEFT) / 70);
    g.strokeStyle = '#3a3f48';
    g.fillStyle = '#9aa0aa';
    g.textAlign = 'center';
    g.lineWidth = 1;
    for (let t = 0; t <= this.duration + 1e-9; t += step) {
      const x = Math.round(this.x(t)) + 0.5;
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, CURVES);
      g.stroke();
      g.fillText(`${+t.toFixed(3)} s`, x, CURVES + AXIS / 2);
    }
    g.textAlign = 'right';
    for (const w of [0, 0.5, 1]) g.fillText(w.toFixed(1), LEFT - 6, 6 + (1 - w) * (CURVES - 12));
  }

  drawCurves(g, take, dash) {
    g.setLineDash(dash);
    g.lineWidth = 1.5;
    this.channels.forEach((name, k) => {
      const c = take.channels.indexOf(name);
      if (c < 0) return;
      const curve = take.curve(c);
      g.strokeStyle = COLOURS[k % COLOURS.length];
      g.beginPath();
      curve.forEach((w, t) => {
        const x = this.x(t / take.fps);
        const y = 6 + (1 - w) * (CURVES - 12);
        if (t === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    });
    g.setLineDash([]);
  }

  drawRow(g, { label, segments }, top) {
    g.fillStyle = '#9aa0aa';
    g.textAlign = 'right';
    g.fillText(label, LEFT - 6, top + ROW / 2);
    g.textAlign = 'center';
    segments.forEach(([text, start, end], k) => {
      const x0 = this.x(start);
      const x1 = this.x(end);
      g.fillStyle = k % 2 ? '#343a44' : '#2c3139';
      g.fillRect(x0, top + 2, Math.max(x1 - x0 - 1, 1), ROW - 4);
      if (g.measureText(text).width < x1 - x0 - 2) {
        g.fillStyle = '#e6e8eb';
        g.fillText(text, (x0 + x1) / 2, top + ROW / 2);
      }
    });
  }

  // Blit the cached drawing and the cursor at time t.
  draw(t) {
    if (this.width === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const g = this.canvas.getContext('2d');
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.drawImage(this.cache, 0, 0);
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    const x = Math.round(this.x(Math.min(t, this.duration))) + 0.5;
    g.strokeStyle = '#ff5252';
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(x, 0);
    g.lineTo(x, this.height);
    g.stroke();
  }
}

// Word and phoneme rows: one pair per take whose tracks differ from an earlier take's.
function trackRows(takes) {
  const rows = [];
  const seen = new Set();
  for (const take of takes) {
    const key = JSON.stringify([take.words, take.phonemes]);
    if (seen.has(key) || (take.phonemes.length === 0 && take.words.length === 0)) continue;
    seen.add(key);
    const suffix = takes.length > 1 && seen.size > 1 ? ` ${take.name}` : '';
    if (take.words.length) rows.push({ label: `words${suffix}`, segments: take.words });
    if (take.phonemes.length) rows.push({ label: `phones${suffix}`, segments: take.phonemes });
  }
  return rows;
}

// A round grid step (1, 2 or 5 times a power of ten) giving about `count` intervals over `duration`.
function niceStep(duration, count) {
  const raw = duration / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}
