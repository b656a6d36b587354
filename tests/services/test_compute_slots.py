"""One CPU-bound computation at a time per worker: serialised across threads, re-entrant."""

from __future__ import annotations

import threading
import time

from app.services import compute_slots
from app.services.compute_slots import compute_slot


def test_computations_in_one_worker_take_turns() -> None:
    assert compute_slots.SLOTS == 1
    inside = 0
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        with compute_slot():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


def test_an_estimate_asking_for_a_plan_takes_one_slot() -> None:
    finished = threading.Event()

    def nested() -> None:
        with compute_slot(), compute_slot():
            pass
        finished.set()

    thread = threading.Thread(target=nested)
    thread.start()
    thread.join(timeout=5)
    assert finished.is_set()  # a second acquire in the same thread would deadlock
    with compute_slot():  # and the slot was given back
        pass


def test_a_waiting_computation_goes_before_one_that_arrives_later() -> None:
    # Before: a BoundedSemaphore let a thread that had just released the slot take it again
    # ahead of the thread already waiting (barging), so under load some requests waited
    # through many others' turns (analysis creates in the mixed load run: p99 7x the p50).
    # The slot now passes to the longest waiter.
    entries: list[str] = []
    first_turn = threading.Event()

    def busy() -> None:
        for _ in range(5):
            with compute_slot():
                entries.append("busy")
                first_turn.set()
                time.sleep(0.01)

    def waiting() -> None:
        first_turn.wait()
        with compute_slot():
            entries.append("waiting")

    threads = [threading.Thread(target=busy), threading.Thread(target=waiting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert entries.index("waiting") <= 2, entries
