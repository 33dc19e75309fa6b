"""Why "the peer keeps decoding" after a camera switch failed with Chromium's fake cameras (issue 15,
item 3), shown without any of our code: one page, two RTCPeerConnections, `replaceTrack()`.

Chromium's fake capture (`--use-fake-device-for-media-stream=device-count=N`) gives its devices pixel
formats by index (media/capture/video/fake_video_capture_device_factory.cc,
`GetPixelFormatFromDeviceIndex`): fake_device_0 I420, fake_device_1 **Y16** (a 16-bit depth camera,
the one the factory gives camera calibration data), fake_device_2 MJPEG, the rest I420. A `<video>`
shows Y16 frames, but the WebRTC encoder takes none: after `replaceTrack()` onto fake_device_1 the
sender encodes nothing and the peer decodes nothing. Onto fake_device_2, a colour camera like a
phone's back camera, the peer goes on decoding. So with `device-count=2` the "second camera" is a depth
camera no phone has; the product's two-camera test (test_call_adversity.py) uses device-count=3 and
leaves the depth camera out of `enumerateDevices`, which gives it two colour cameras.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT

pytestmark = pytest.mark.e2e

FAKE_DEVICES = "--use-fake-device-for-media-stream"
THREE_CAMERAS = [*[a for a in CHROMIUM_ARGS if a != FAKE_DEVICES], f"{FAKE_DEVICES}=device-count=3"]

# Two peer connections in one page; the sender starts on fake_device_0, then replaceTrack()s onto the
# camera at `index` (the old track stopped, as the product does) and counts what is encoded and decoded.
SWITCH_JS = """
async (index) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  const open = async (camera) => (await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: camera.deviceId } } })).getVideoTracks()[0];
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const first = await open(cameras[0]);
  const sender = a.addTrack(first, new MediaStream([first]));
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const count = async () => {
    let decoded = 0, encoded = 0;
    (await b.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") decoded = s.framesDecoded ?? 0; });
    (await a.getStats()).forEach((s) => { if (s.type === "outbound-rtp" && s.kind === "video") encoded = s.framesEncoded ?? 0; });
    return { decoded, encoded };
  };
  for (let i = 0; i < 100 && (await count()).decoded < 20; i++) await sleep(100);
  const before = await count();
  const other = await open(cameras[index]);
  await sender.replaceTrack(other);
  first.stop();
  await sleep(300);
  const switched = await count();
  await sleep(3000);
  const after = await count();
  const settings = other.getSettings();
  a.close();
  b.close();
  other.stop();
  return {
    labels: cameras.map((c) => c.label),
    before: before.decoded,
    decoded: after.decoded - switched.decoded,
    encoded: after.encoded - switched.encoded,
    size: [settings.width, settings.height],
  };
}
"""


@pytest.fixture
def three_cameras(browser):
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), headless=True, args=THREE_CAMERAS)
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Any secure origin will do for getUserMedia; nothing of the product is loaded.
    page.route("https://cameras.test/", lambda route: route.fulfill(content_type="text/html", body="<!doctype html>"))
    page.goto("https://cameras.test/")
    yield page
    context.close()
    chromium.close()


def test_chromium_fake_camera_1_is_a_depth_camera_the_encoder_cannot_send(three_cameras):
    """
    GIVEN Chromium with three fake cameras and two peer connections in one page (none of our code)
    WHEN the sender replaceTrack()s from fake_device_0 onto fake_device_1, or onto fake_device_2
    THEN onto fake_device_1 (Y16 depth) nothing is encoded or decoded any more; onto fake_device_2
         (MJPEG colour) the peer keeps decoding
    """
    depth = three_cameras.evaluate(SWITCH_JS, 1)
    colour = three_cameras.evaluate(SWITCH_JS, 2)
    print(f"fake_device_1: {depth}\nfake_device_2: {colour}")
    assert depth["labels"] == colour["labels"] == ["fake_device_0", "fake_device_1", "fake_device_2"]
    assert depth["before"] >= 20 and colour["before"] >= 20, "decoding before the switch"
    assert depth["encoded"] == 0 and depth["decoded"] == 0, depth
    assert colour["encoded"] > 20 and colour["decoded"] > 20, colour
