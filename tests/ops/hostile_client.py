"""Send bursts of hostile request bodies: `python -m tests.ops.hostile_client BASE START ROUNDS`.

Round r fires 16 requests at once at `START + r * ROUND_S` (a Unix time), so the test process,
which probes /healthz at the same instants, does not share a GIL with the attack. Prints the
status codes, one per line."""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx

from tests.factories import body

ROUND_S = 0.5
ATTACKERS = 16


def hostile_payloads() -> list[bytes]:
    """The shapes that once stalled the service: a 0.8 MB body of 50,000 unknown keys (now
    over the size limit), 15,000 and 2,000 unknown keys under the limit, and 190 (each one an
    error for the validator to list)."""
    payloads = []
    for keys in (50_000, 15_000, 2_000, 190):
        hostile = body()
        hostile.update({f"x{i}": i for i in range(keys)})
        payloads.append(json.dumps(hostile).encode())
    return payloads


def main(base: str, start: float, rounds: int) -> None:
    payloads = hostile_payloads()
    statuses: list[int] = []

    def attack(payload: bytes) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for round_index in range(rounds):
                time.sleep(max(0.0, start + round_index * ROUND_S - time.time()))
                response = client.post(
                    "/v1/analyses", content=payload, headers={"Content-Type": "application/json"}
                )
                statuses.append(response.status_code)

    threads = [
        threading.Thread(target=attack, args=(payloads[i % len(payloads)],))
        for i in range(ATTACKERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("\n".join(str(status) for status in statuses))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
