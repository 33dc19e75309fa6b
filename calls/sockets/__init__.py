"""The signaling sockets: `/ws/agent/`, `/ws/consumer/` and `/ws/live/` (routed in calls/routing.py).

One module per concern, one per role:

- `base`: the socket every role is: lifecycle (its own message loop, set-up undone however it ends),
  refusal and slots, frame parsing and validation against the role's table, delivery of pushed frames.
- `party`: what a party to calls (agent or consumer) adds to the base: the call frames both sides send
  (`call.signal`, `call.media`, ...), the live calls the socket knows of, relays to the peer.
- `agent`, `consumer`, `live`: the roles, each with its frames declared once as a table
  `type -> (schema, handler)`.
- `limits`: token buckets, socket slots and flood bans per client.
- `dispatch`: `dispatch_in_turn`, the message loop used instead of Channels' `await_many_dispatch`.
- `relay`: relays across processes (the batched Redis publisher) and the sockets of this process by
  group (relays to a peer in the same process skip the channel layer).
- `presence`: the per-process background work: the presence heartbeat, the layer watch, the in-process
  timer sweep of the embedded default.

They never change a row themselves: commands go to `calls.services`.
"""
