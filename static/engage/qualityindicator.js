// The consumer's live quality indicator on the call stage: three bars and the account's words
// ("Good connection", "Fair connection", "Poor connection" in the conversation's locale). The level
// comes from static/calls/quality.js (pure, unit-tested); this only keeps the last two samples and
// draws. Text goes in through textContent only.

import { qualityLevel, qualityTextKey, worseLevel } from "../calls/quality.js";

export class QualityIndicator {
  /** @param {HTMLElement | null} element  #engage-call-quality */
  constructor(element) {
    this.element = element;
    this.reset();
  }

  /** A new call (or none): nothing known yet. */
  reset() {
    this.levels = [null, null];
    this.connection = "new";
    if (this.element) {
      this.element.hidden = true;
      this.element.dataset.level = "";
    }
  }

  /** A `stats` event of the CallSession; `remoteVideo`: the agent is sending video. */
  sample(stats, remoteVideo) {
    this.levels = [this.levels[1], qualityLevel(stats, { remoteVideo })];
  }

  /** The peer connection's state (disconnected or failed reads as poor at once). */
  setConnection(state) {
    this.connection = state;
  }

  get level() {
    if (this.connection === "disconnected" || this.connection === "failed") return "poor";
    return worseLevel(this.levels[0], this.levels[1]);
  }

  /** Show the level in the account's words, only while the call is active and a level is known. */
  render(texts, active) {
    if (!this.element) return;
    const level = active ? this.level : null;
    this.element.hidden = !level;
    this.element.dataset.level = level ?? "";
    const text = level ? texts[qualityTextKey(level)] ?? level : "";
    this.element.querySelector(".call-quality-text").textContent = text;
    this.element.title = text;
  }
}
