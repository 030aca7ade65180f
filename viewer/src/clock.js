// The clock the frame follows: the <audio> element itself when the take has speech; without speech, this stand-in
// with the same members (currentTime, duration, paused, play(), pause(), playbackRate; events play, pause, seeked,
// ended), driven by performance.now().
export class SilentClock extends EventTarget {
  constructor(duration) {
    super();
    this.duration = duration;
    this.paused = true;
    this.playbackRate = 1;
    this.position = 0;
    this.started = 0;
  }

  get currentTime() {
    if (this.paused) return this.position;
    const t = this.position + ((performance.now() - this.started) / 1000) * this.playbackRate;
    if (t >= this.duration) {
      this.position = this.duration;
      this.paused = true;
      this.dispatchEvent(new Event('pause'));
      this.dispatchEvent(new Event('ended'));
      return this.duration;
    }
    return t;
  }

  set currentTime(t) {
    this.position = Math.min(Math.max(t, 0), this.duration);
    this.started = performance.now();
    this.dispatchEvent(new Event('seeked'));
  }

  get ended() { return this.paused && this.position >= this.duration; }

  play() {
    if (this.paused) {
      if (this.position >= this.duration) this.position = 0;
      this.started = performance.now();
      this.paused = false;
      this.dispatchEvent(new Event('play'));
    }
    return Promise.resolve();
  }

  pause() {
    if (!this.paused) {
      this.position = this.currentTime;
      this.paused = true;
      this.dispatchEvent(new Event('pause'));
    }
  }
}
