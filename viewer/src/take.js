// One take as the page reads it (facemotion/viewer/data.py): curves (T, C) float32, joint quaternions (T, 4),
// phonemes and words; sampled at any time t by linear interpolation between the two nearest frames.

// The bytes of a DataView (what anywidget gives for a bytes trait), ArrayBuffer or typed array, as a new ArrayBuffer.
export function arrayBufferOf(data) {
  if (data instanceof ArrayBuffer) return data.slice(0);
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}

export class Take {
  constructor(state) {
    this.name = state.name;
    this.fps = state.fps;
    this.frames = state.frames;
    this.channels = state.channels;
    this.weights = new Float32Array(arrayBufferOf(state.weights));
    if (this.weights.length !== this.frames * this.channels.length) {
      throw new Error(`take ${this.name}: ${this.weights.length} weights for ${this.frames} x ${this.channels.length}`);
    }
    this.joints = Object.fromEntries(Object.entries(state.joints ?? {}).map(
      ([name, data]) => [name, new Float32Array(arrayBufferOf(data))]));
    this.phonemes = state.phonemes ?? [];
    this.words = state.words ?? [];
  }

  // Seconds from the first frame's start to the last frame's end: frames / fps.
  get duration() { return this.frames / this.fps; }

  // [i0, i1, a]: time t lies at fraction a between frames i0 and i1 (held at the first and last frame).
  frameAt(t) {
    const f = Math.min(Math.max(t * this.fps, 0), this.frames - 1);
    const i0 = Math.floor(f);
    return [i0, Math.min(i0 + 1, this.frames - 1), f - i0];
  }

  // Channel c's weight at frame position [i0, i1, a].
  weight(c, [i0, i1, a]) {
    const C = this.channels.length;
    return this.weights[i0 * C + c] * (1 - a) + this.weights[i1 * C + c] * a;
  }

  // (T,) curve of one channel.
  curve(c) {
    const C = this.channels.length;
    return Float32Array.from({ length: this.frames }, (_, t) => this.weights[t * C + c]);
  }
}
