// The self-view: a person's own camera (or shared screen) as the small picture in the corner.
//
// The picture is at most 220 CSS pixels wide, but a <video> given the camera's own track draws every
// full-size frame (1280x720, 30 a second): its colour conversion and compositing cost the page's
// processes tens of milliseconds a frame without a GPU, the very moments the call is being set up
// (measured in bench/README.md, "Call setup to the first decoded frame"). So the self-view shows a
// clone of the video track that the browser scales down in the capture pipeline (SELF_VIEW), and the
// call keeps sending the full track. The clone holds the camera open as long as it lives: it is
// stopped whenever the view shows something else or nothing (showSelf(element, null) when the call
// ends), so the camera light goes out with the call's own track.

export const SELF_VIEW = Object.freeze({ width: { max: 480 }, height: { max: 480 }, frameRate: { max: 15 } });

const views = new WeakMap(); // element -> {source, clone}

/** Show `stream`'s video in `element`, scaled down; a stream without video shows nothing; null lets go. */
export function showSelf(element, stream) {
  if (!element) return;
  const source = stream?.getVideoTracks?.()[0] ?? null;
  const current = views.get(element);
  if (current && current.source === source && source?.readyState !== "ended") return play(element);
  stopView(element);
  if (!source || typeof source.clone !== "function" || typeof MediaStream !== "function") {
    element.srcObject = stream ?? null;
    if (stream) play(element);
    return;
  }
  const clone = source.clone();
  clone.applyConstraints?.(SELF_VIEW)?.catch?.(() => {}); // a browser that cannot scale shows it full size
  views.set(element, { source, clone });
  element.srcObject = new MediaStream([clone]);
  play(element);
}

function stopView(element) {
  views.get(element)?.clone.stop();
  views.delete(element);
}

function play(element) {
  const playing = element.play?.();
  if (playing?.catch) playing.catch(() => {});
}
