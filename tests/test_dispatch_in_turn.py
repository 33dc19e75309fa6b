"""The sockets' message loop (`calls.sockets.dispatch.dispatch_in_turn`, in place of Channels'
`await_many_dispatch`): one handler at a time, each source in order, and it ends as Channels' does."""

from __future__ import annotations

import asyncio

import pytest
from channels.exceptions import StopConsumer
from hypothesis import given, settings
from hypothesis import strategies as st

from calls.sockets.dispatch import dispatch_in_turn


def source_of(name: str, count: int, pauses: list[float]):
    queue: asyncio.Queue = asyncio.Queue()

    async def feed() -> None:
        for n in range(count):
            await asyncio.sleep(pauses[n % len(pauses)])
            queue.put_nowait((name, n))
        await asyncio.sleep(0.01)
        queue.put_nowait((name, "stop"))

    return queue.get, feed


@settings(max_examples=25, deadline=None)
@given(
    socket_count=st.integers(0, 30),
    layer_count=st.integers(0, 30),
    pauses=st.lists(st.sampled_from([0, 0, 0.0005, 0.001]), min_size=1, max_size=5),
    handler_pauses=st.lists(st.sampled_from([0, 0.0005]), min_size=1, max_size=5),
)
def test_one_handler_at_a_time_and_each_source_in_order(socket_count, layer_count, pauses, handler_pauses):
    async def scenario() -> tuple[list, int]:
        from_socket, feed_socket = source_of("socket", socket_count, pauses)
        from_layer, feed_layer = source_of("layer", layer_count, pauses[::-1])
        handled: list = []
        running = 0
        most_at_once = 0

        async def dispatch(message) -> None:
            nonlocal running, most_at_once
            name, n = message
            if n == "stop":
                if name == "socket":  # the socket's disconnect ends the consumer
                    raise StopConsumer
                return
            running += 1
            most_at_once = max(most_at_once, running)
            await asyncio.sleep(handler_pauses[n % len(handler_pauses)])
            handled.append(message)
            running -= 1

        feeders = [asyncio.ensure_future(feed_layer()), asyncio.ensure_future(feed_socket())]
        with pytest.raises(StopConsumer):
            await dispatch_in_turn(dispatch, from_socket, from_layer)
        await asyncio.gather(*feeders)
        return handled, most_at_once

    handled, most_at_once = asyncio.run(scenario())
    assert most_at_once <= 1
    assert [n for name, n in handled if name == "socket"] == list(range(socket_count))
    layer_seen = [n for name, n in handled if name == "layer"]
    assert layer_seen == list(range(len(layer_seen)))  # in order, though the end may come first


def test_a_failing_handler_ends_the_loop_with_its_error_and_leaves_no_task():
    async def scenario() -> list[asyncio.Task]:
        queue: asyncio.Queue = asyncio.Queue()
        queue.put_nowait("boom")

        async def dispatch(message) -> None:
            raise ValueError(message)

        async def never() -> None:
            await asyncio.Event().wait()

        with pytest.raises(ValueError, match="boom"):
            await dispatch_in_turn(dispatch, queue.get, never)
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(scenario()) == []


def test_nothing_is_handled_after_the_end_and_a_running_handler_is_not_cut_short():
    async def scenario() -> tuple[list, list]:
        # 1. StopConsumer from one source while the other has a message waiting: not handled.
        first, second = asyncio.Queue(), asyncio.Queue()
        first.put_nowait("stop")
        second.put_nowait("late")
        handled: list = []

        async def dispatch(message) -> None:
            if message == "stop":
                raise StopConsumer
            handled.append(message)

        with pytest.raises(StopConsumer):
            await dispatch_in_turn(dispatch, first.get, second.get)

        # 2. A source failing on its own while the other's handler runs: the handler finishes.
        slow = asyncio.Queue()
        slow.put_nowait("slow")
        finished: list = []

        async def dispatch_slowly(message) -> None:
            await asyncio.sleep(0.05)
            finished.append(message)

        async def failing_source():
            await asyncio.sleep(0.01)
            raise RuntimeError("the layer broke")

        with pytest.raises(RuntimeError, match="the layer broke"):
            await dispatch_in_turn(dispatch_slowly, slow.get, failing_source)
        return handled, finished

    handled, finished = asyncio.run(scenario())
    assert handled == []
    assert finished == ["slow"]
