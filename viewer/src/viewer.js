// The viewer: one head per take side by side, play/pause and a scrub bar, the curves and tracks with a cursor.
// The speech's <audio> element is the clock: every animation frame reads audio.currentTime and poses the heads at it
// (without speech a SilentClock stands in), so sound and face cannot drift apart.
import { SilentClock } from './clock.js';
import { HeadView } from './head.js';
import { CSS } from './style.js';
import { Take, arrayBufferOf } from './take.js';
import { Timeline } from './timeline.js';

const HEAD_HEIGHT = [0, 380, 320, 280, 240];

// Mount a viewer of `state` ({takes, character, audio, channels}: facemotion/viewer/data.py) in `el`.
// Returns the viewer's handle (also set as the `facemotionViewer` property of its `.fm-viewer` element):
// {ready: Promise, clock, frameTime, seek(t), play(), pause(), pose(k), showChannels(names), dispose()}.
export function mountViewer(el, state) {
  const root = document.createElement('div');
  root.className = 'fm-viewer';
  const style = document.createElement('style');
  style.textContent = CSS;
  root.append(style);
  el.append(root);
  const takes = state.takes.map((take) => new Take(take));
  const heads = document.createElement('div');
  heads.className = 'fm-heads';
  root.append(heads);
  const views = takes.map((take) => new HeadView(heads, take));

  let audioUrl = null;
  let clock;
  const takeDuration = Math.max(...takes.map((take) => take.duration));
  if (state.audio) {
    audioUrl = URL.createObjectURL(new Blob([arrayBufferOf(state.audio)], { type: 'audio/wav' }));
    clock = document.createElement('audio');
    clock.preload = 'auto';
    clock.src = audioUrl;
    root.append(clock);
  } else {
    clock = new SilentClock(takeDuration);
  }

  const controls = document.createElement('div');
  controls.className = 'fm-controls';
  const button = document.createElement('button');
  button.textContent = 'play';
  const scrub = document.createElement('input');
  Object.assign(scrub, { type: 'range', min: 0, step: 0.001, value: 0 });
  const time = document.createElement('span');
  time.className = 'fm-time';
  controls.append(button, scrub, time);
  root.append(controls);

  let duration = takeDuration;
  const seek = (t) => { clock.currentTime = Math.min(Math.max(t, 0), duration); };
  const timeline = new Timeline(root, takes, duration, seek);
  button.addEventListener('click', () => (clock.paused ? clock.play() : clock.pause()));
  clock.addEventListener('play', () => { button.textContent = 'pause'; });
  clock.addEventListener('pause', () => { button.textContent = 'play'; });
  let scrubbing = false;
  scrub.addEventListener('input', () => { scrubbing = true; seek(Number(scrub.value)); });
  scrub.addEventListener('change', () => { scrubbing = false; });

  const handle = {
    root, clock, views, frameTime: null,
    seek, play: () => clock.play(), pause: () => clock.pause(),
    pose: (k) => views[k].pose(),
    showChannels: (names) => timeline.setChannels(names.filter((name) => takes[0].channels.includes(name))),
    dispose,
  };
  root.facemotionViewer = handle;

  let frame = null;
  const tick = () => {
    frame = requestAnimationFrame(tick);
    const t = clock.currentTime;
    if (t === handle.frameTime) return;
    views.forEach((view) => view.show(t));
    timeline.draw(t);
    if (!scrubbing) scrub.value = t;
    time.textContent = `${t.toFixed(2)} / ${duration.toFixed(2)} s`;
    handle.frameTime = t;
  };

  const layout = () => {
    const width = root.clientWidth - 16;
    if (width <= 0) return;
    const each = (width - 6 * (views.length - 1)) / views.length;
    views.forEach((view) => view.resize(each, HEAD_HEIGHT[views.length]));
    timeline.resize(width);
    timeline.draw(clock.currentTime);
  };
  const observer = new ResizeObserver(layout);

  const audioReady = state.audio ? new Promise((resolve, reject) => {
    if (clock.readyState >= 1) resolve();
    clock.addEventListener('loadedmetadata', resolve, { once: true });
    clock.addEventListener('error', () => reject(new Error('the browser cannot play the speech')), { once: true });
  }) : Promise.resolve();
  handle.ready = Promise.all([audioReady, ...views.map((view) => view.load(arrayBufferOf(state.character)))])
    .then(() => {
      if (state.audio) duration = Math.max(takeDuration, clock.duration);
      timeline.duration = duration;
      scrub.max = duration;
      handle.duration = duration;
      timeline.setChannels(state.channels);
      layout();
      observer.observe(root);
      frame = requestAnimationFrame(tick);
      return handle;
    })
    .catch((error) => {
      const message = document.createElement('div');
      message.className = 'fm-error';
      message.textContent = `facemotion viewer: ${error.message}`;
      root.append(message);
      throw error;
    });

  function dispose() {
    cancelAnimationFrame(frame);
    observer.disconnect();
    clock.pause();
    views.forEach((view) => view.dispose());
    if (audioUrl) URL.revokeObjectURL(audioUrl);
    root.remove();
  }
  return handle;
}
