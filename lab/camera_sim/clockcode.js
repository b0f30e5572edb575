// Reads the wall-clock code (clockcode.py: layout, thresholds; keep both in step)
// from a page's <video>, in the browser, glass to glass.
// Run through selenium: driver.execute_script(source, selector, intervalMs).
// Installs window.__clockcode = {samples: [[shownMs, code], ...], reads, misreads}:
// each distinct code once, with the wall-clock time (performance.timeOrigin +
// performance.now(), the same system clock the camera drew with) at which that
// frame was first shown. Frames are read on every presented frame
// (requestVideoFrameCallback) and every intervalMs as a fallback; the video
// element may appear later (the page creates it on a click).
(function (selector, intervalMs) {
  const CELLS = 44, MARKER = [1, 0, 1, 1], DATA = 32, CRC = 8;
  const MIN_HEIGHT = 16, DARK = 80, LIGHT = 176;
  if (window.__clockcode) window.__clockcode.stop();
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const seen = new Set();
  const state = { samples: [], reads: 0, misreads: 0, installed: wall() };
  window.__clockcode = state;

  function wall() {
    return performance.timeOrigin + performance.now();
  }

  function crc8(value) {
    let crc = 0;
    for (const shift of [24, 16, 8, 0]) {
      crc ^= (value >>> shift) & 0xff;
      for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  }

  // The code, or null when any block is ambiguous, the marker or the CRC wrong.
  function decode(video) {
    const width = video.videoWidth;
    const w = Math.floor(width / CELLS);
    if (w < 4) return null;
    const h = Math.max(w, MIN_HEIGHT), x0 = Math.floor((width - CELLS * w) / 2);
    if (canvas.width !== width || canvas.height !== h) {
      canvas.width = width;
      canvas.height = h;
    }
    ctx.drawImage(video, 0, 0, width, h, 0, 0, width, h); // the strip only, unscaled
    const px = ctx.getImageData(0, 0, width, h).data;
    const r = Math.max(1, Math.floor(w / 4)), cy = Math.floor(h / 2);
    const bits = [];
    for (let i = 0; i < CELLS; i++) {
      const cx = x0 + i * w + Math.floor(w / 2);
      let sum = 0;
      for (let y = cy - r; y < cy + r; y++) {
        for (let x = cx - r; x < cx + r; x++) {
          const o = (y * width + x) * 4;
          sum += 0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2];
        }
      }
      const level = sum / (4 * r * r);
      if (level <= DARK) bits.push(0);
      else if (level >= LIGHT) bits.push(1);
      else return null;
    }
    if (MARKER.some((b, i) => bits[i] !== b)) return null;
    let t = 0, crc = 0;
    for (let i = MARKER.length; i < MARKER.length + DATA; i++) t = t * 2 + bits[i];
    for (let i = MARKER.length + DATA; i < CELLS; i++) crc = crc * 2 + bits[i];
    return crc === crc8(t) ? t : null;
  }

  function read(video, shown) {
    if (video.readyState < 2 || !video.videoWidth) return;
    state.reads++;
    const code = decode(video);
    if (code === null) state.misreads++;
    else if (!seen.has(code)) {
      seen.add(code);
      state.samples.push([shown, code]);
    }
  }

  function hook(video) {
    if (!video.requestVideoFrameCallback || video.__clockcodeHooked === state) return;
    video.__clockcodeHooked = state;
    const onFrame = (_now, meta) => {
      if (state.stopped) return;
      read(video, performance.timeOrigin + (meta.expectedDisplayTime || performance.now()));
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  const timer = setInterval(() => {
    const video = document.querySelector(selector);
    if (!video) return;
    hook(video);
    read(video, wall());
  }, intervalMs);
  state.stop = () => {
    state.stopped = true;
    clearInterval(timer);
  };
})(arguments[0], arguments[1]);
