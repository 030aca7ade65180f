// The viewer as an anywidget module (default export: render) and as the page of `facemotion view` (renderServed).
import { mountViewer } from './viewer.js';

const FIELDS = ['takes', 'character', 'audio', 'channels'];

// anywidget: the model's traits -> a viewer in el; `channels` follows the trait; returns the clean-up.
function render({ model, el }) {
  const viewer = mountViewer(el, Object.fromEntries(FIELDS.map((name) => [name, model.get(name)])));
  const onChannels = () => viewer.showChannels(model.get('channels'));
  model.on('change:channels', onChannels);
  viewer.ready.catch((error) => console.error('facemotion viewer:', error));
  return () => {
    model.off('change:channels', onChannels);
    viewer.dispose();
  };
}

// A read-only stand-in for an anywidget model over a plain state object.
export function staticModel(state) {
  return { get: (name) => state[name], set() {}, save_changes() {}, on() {}, off() {}, send() {} };
}

// `facemotion view`: state.json beside the page, each binary value a {"$buffer": i} placeholder for buffers/i.
export async function renderServed(el, base = './') {
  const response = await fetch(`${base}state.json`);
  if (!response.ok) throw new Error(`state.json: HTTP ${response.status}`);
  const fetchBuffer = async (i) => new DataView(await (await fetch(`${base}buffers/${i}`)).arrayBuffer());
  const state = await resolveBuffers(await response.json(), fetchBuffer);
  return render({ model: staticModel(state), el });
}

async function resolveBuffers(value, fetchBuffer) {
  if (Array.isArray(value)) return Promise.all(value.map((item) => resolveBuffers(item, fetchBuffer)));
  if (value === null || typeof value !== 'object') return value;
  if (Object.keys(value).length === 1 && '$buffer' in value) return fetchBuffer(value.$buffer);
  const entries = await Promise.all(Object.entries(value).map(
    async ([key, item]) => [key, await resolveBuffers(item, fetchBuffer)]));
  return Object.fromEntries(entries);
}

export default { render };
