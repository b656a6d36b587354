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
