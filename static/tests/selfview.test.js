// The self-view (static/calls/selfview.js): a scaled-down clone of the camera, stopped whenever the view
// shows something else or nothing, so the camera light goes out with the call's own track. The browser's
// tracks are stand-ins here; tests/e2e/test_call_media_settings.py checks the real ones.
import { test } from "node:test";
import assert from "node:assert/strict";

import { SELF_VIEW, showSelf } from "../calls/selfview.js";

function track(name) {
  return {
    name,
    kind: "video",
    readyState: "live",
    constraints: null,
    clones: [],
    stop() {
      this.readyState = "ended";
    },
    clone() {
      const copy = track(`${name} clone`);
      this.clones.push(copy);
      return copy;
    },
    async applyConstraints(constraints) {
      this.constraints = constraints;
    },
  };
}

const streamOf = (...tracks) => ({ getVideoTracks: () => tracks.filter((t) => t.kind === "video") });

globalThis.MediaStream = class {
  constructor(tracks) {
    this.tracks = tracks;
  }

  getVideoTracks() {
    return this.tracks;
  }
};

function element() {
  return { srcObject: null, played: 0, play() { this.played += 1; return Promise.resolve(); } };
}

test("the view shows a scaled-down clone, never the sent track, and makes it once per camera track", () => {
  const camera = track("camera");
  const view = element();
  showSelf(view, streamOf(camera));
  const [clone] = camera.clones;
  assert.deepEqual(view.srcObject.getVideoTracks(), [clone]);
  assert.equal(clone.constraints, SELF_VIEW);
  showSelf(view, streamOf(camera)); // the same camera again (another local-stream event): nothing new
  assert.equal(camera.clones.length, 1);
  assert.equal(clone.readyState, "live");
});

test("another camera, camera off, a share and the end of the call each stop the clone shown before", () => {
  const view = element();
  const front = track("front");
  const back = track("back");
  showSelf(view, streamOf(front));
  showSelf(view, streamOf(back)); // switched cameras
  assert.equal(front.clones[0].readyState, "ended");
  showSelf(view, streamOf()); // camera off: a stream without video
  assert.equal(back.clones[0].readyState, "ended");
  const screen = track("screen");
  showSelf(view, streamOf(screen));
  assert.equal(screen.clones.length, 1);
  showSelf(view, null); // the call ended
  assert.equal(screen.clones[0].readyState, "ended");
  assert.equal(view.srcObject, null);
  assert.equal(front.readyState, "live"); // the originals are the call's to stop
});

test("a camera track that ended (switched away) is cloned afresh, and no element is no work", () => {
  const view = element();
  const camera = track("camera");
  showSelf(view, streamOf(camera));
  camera.readyState = "ended";
  showSelf(view, streamOf(camera));
  assert.equal(camera.clones.length, 2);
  assert.equal(camera.clones[0].readyState, "ended");
  showSelf(null, streamOf(camera));
  assert.equal(camera.clones.length, 2);
});
