// The page's one state, its socket and its configuration, shared by the workspace's modules.

import { SignalingSocket, socketUrl } from "../calls/signaling.js";
import { createState } from "./state.js";

export const config = JSON.parse(document.getElementById("workspace-config").textContent);
export const state = createState(config);
export const socket = new SignalingSocket(socketUrl(config.socket_path));
