"""The outbox claim is atomic and a lease is honoured: concurrent senders (each with its own
engine and connections) never claim the same row twice, on SQLite and on PostgreSQL; a row
whose sender died is taken over once its lease expires, and the late sender can no longer
record an outcome over the new one. Also: enqueue is idempotent by key, backoff stays
within its jitter bounds and cap, and giving a row back (release) costs no attempt."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from alerts.outbox import (
    Claimed,
    backoff,
    claim,
    enqueue,
    mark_failed_attempt,
    mark_sent,
    release,
)
from storage.db import make_engine, session_scope
from storage.models import Outbox, utcnow

from alerting import aware, outbox_rows

LEASE = 300.0


def add_rows(engine: Engine, n: int, *, prefix: str = "r") -> list[int]:
    with session_scope(engine) as session:
        for i in range(n):
            assert enqueue(
                session,
                channel="slack",
                route="slack-instant",
                kind="instant",
                idempotency_key=f"{prefix}:{i}",
                payload={"n": i},
            )
    return [r.id for r in outbox_rows(engine) if r.id is not None]


def row(engine: Engine, row_id: int) -> Outbox:
    with Session(engine) as session:
        found = session.get(Outbox, row_id)
        assert found is not None
        return found


# ---------------------------------------------------------------- concurrent claims


def test_concurrent_claimers_take_every_row_exactly_once(engine: Engine, database_url: str) -> None:
    ids = add_rows(engine, 200)
    assert len(ids) == 200
    claimers = 6
    start = threading.Barrier(claimers)
    taken: list[list[Claimed]] = [[] for _ in range(claimers)]
    errors: list[BaseException] = []

    def sender(slot: int) -> None:
        own = make_engine(database_url)  # its own pool: real concurrent connections
        try:
            start.wait(timeout=30)
            while True:
                # Mixed batch sizes: 1 (what flush uses), 2 and 3.
                batch = claim(own, lease_seconds=LEASE, limit=1 + slot % 3)
                if not batch:
                    return
                taken[slot].extend(batch)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(claimers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a claimer hung"
    assert not errors, errors

    claimed = [c for batch in taken for c in batch]
    counts = Counter(c.id for c in claimed)
    twice = sorted(i for i, n in counts.items() if n > 1)
    assert not twice, f"rows claimed more than once: {twice}"
    assert sorted(counts) == sorted(ids)
    # More than one claimer got work: the test really raced.
    assert sum(1 for t in taken if t) >= 2
    # The database agrees: each row is leased to the claimer that got it.
    by_id = {r.id: r for r in outbox_rows(engine)}
    for c in claimed:
        current = by_id[c.id]
        assert current.status == "sending"
        assert current.claim_token == c.token
        assert current.attempts == 0
    # Nothing is left to claim while the leases hold.
    assert claim(engine, lease_seconds=LEASE, limit=10) == []


@pytest.mark.parametrize("limit", [1, 3])
def test_claim_leases_no_more_rows_than_its_limit(engine: Engine, limit: int) -> None:
    ids = add_rows(engine, 5)
    batch = claim(engine, lease_seconds=LEASE, limit=limit)
    assert [c.id for c in batch] == ids[:limit]  # oldest due first
    status = {r.id: r.status for r in outbox_rows(engine)}
    assert [status[i] for i in ids] == ["sending"] * limit + ["pending"] * (5 - limit)
    # The rest are there for the next claim (another sender, or the next loop of flush).
    assert [c.id for c in claim(engine, lease_seconds=LEASE, limit=limit)] == ids[limit : 2 * limit]


# ---------------------------------------------------------------- leases


def expire_lease(engine: Engine, row_id: int, seconds_ago: float) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(claimed_at=utcnow() - timedelta(seconds=seconds_ago))
        )


def test_expired_lease_is_taken_over_and_the_late_sender_cannot_overwrite(
    engine: Engine,
) -> None:
    (row_id,) = add_rows(engine, 1)
    (first,) = claim(engine, lease_seconds=60)
    assert first.id == row_id

    # While the lease holds, nobody else gets the row.
    assert claim(engine, lease_seconds=60) == []

    # The first sender went quiet for longer than the lease: another sender takes over.
    expire_lease(engine, row_id, 120)
    (second,) = claim(engine, lease_seconds=60)
    assert second.id == row_id and second.token != first.token

    # The first sender wakes up: none of its outcomes is recorded.
    assert mark_sent(engine, first, "late") is False
    assert (
        mark_failed_attempt(
            engine, first, "late failure", max_attempts=3, retry_base=1, retry_cap=10
        )
        is None
    )
    release(engine, first, utcnow() + timedelta(hours=1), "late release")
    current = row(engine, row_id)
    assert current.status == "sending"
    assert current.claim_token == second.token
    assert current.attempts == 0
    assert current.sent_at is None and current.last_error is None

    # The new holder's outcome counts, once.
    assert mark_sent(engine, second) is True
    current = row(engine, row_id)
    assert (current.status, current.attempts, current.claim_token) == ("sent", 1, None)
    assert current.sent_at is not None
    assert mark_sent(engine, first) is False and mark_sent(engine, second) is False
    assert row(engine, row_id).attempts == 1
    # A sent row is never claimed again, however old its lease.
    assert claim(engine, lease_seconds=0.001) == []


def test_failed_attempt_is_due_again_after_a_jittered_backoff(engine: Engine) -> None:
    (row_id,) = add_rows(engine, 1)
    (held,) = claim(engine, lease_seconds=LEASE)
    before = datetime.now(UTC)
    status = mark_failed_attempt(
        engine, held, "Slack webhook answered 500", max_attempts=3, retry_base=10, retry_cap=60
    )
    after = datetime.now(UTC)
    assert status == "pending"
    current = row(engine, row_id)
    assert current.attempts == 1 and current.last_error == "Slack webhook answered 500"
    due = aware(current.next_attempt_at)
    assert before + timedelta(seconds=5) <= due <= after + timedelta(seconds=10)
    assert claim(engine, lease_seconds=LEASE) == []  # not due yet

    # The last allowed attempt fails for good.
    with session_scope(engine) as session:
        session.execute(
            update(Outbox).where(col(Outbox.id) == row_id).values(next_attempt_at=utcnow())
        )
    (held,) = claim(engine, lease_seconds=LEASE)
    assert (
        mark_failed_attempt(engine, held, "again", max_attempts=2, retry_base=10, retry_cap=60)
        == "failed"
    )
    current = row(engine, row_id)
    assert (current.status, current.attempts, current.last_error) == ("failed", 2, "again")
    assert claim(engine, lease_seconds=0.001) == []


# ---------------------------------------------------------------- backoff, enqueue, release


@pytest.mark.parametrize("attempts", [0, 1, 2, 3, 5, 8, 12, 40])
def test_backoff_stays_between_half_and_all_of_the_capped_delay(attempts: int) -> None:
    base, cap = 1.5, 60.0
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    draws = [backoff(attempts, base, cap) for _ in range(400)]
    assert all(delay / 2 <= d <= delay for d in draws), (min(draws), max(draws), delay)
    assert max(draws) <= cap
    # Jittered: senders that failed together do not retry together.
    assert len(set(draws)) > 300
    assert max(draws) - min(draws) > delay / 4


def test_backoff_grows_until_the_cap() -> None:
    base, cap = 2.0, 30.0
    upper = [min(cap, base * 2 ** (n - 1)) for n in range(1, 8)]
    for n, delay in enumerate(upper, start=1):
        assert delay / 2 <= backoff(n, base, cap) <= delay


def test_enqueue_with_the_same_key_twice_adds_one_row(engine: Engine) -> None:
    def put(session: Session, version: int) -> bool:
        return enqueue(
            session,
            channel="slack",
            route="slack-instant",
            kind="instant",
            idempotency_key="slack-instant:story:7",
            payload={"v": version},
        )

    with session_scope(engine) as session:
        assert put(session, 1)
    with session_scope(engine) as session:
        assert not put(session, 2)
        # The same transaction may try again (a re-run of one crawl): still nothing added.
        assert not put(session, 3)
    (only,) = outbox_rows(engine)
    assert only.payload == {"v": 1} and only.status == "pending" and only.attempts == 0


def test_release_gives_the_row_back_without_counting_an_attempt(engine: Engine) -> None:
    (row_id,) = add_rows(engine, 1)
    (held,) = claim(engine, lease_seconds=LEASE)
    later = utcnow() + timedelta(minutes=10)
    release(engine, held, later, "quiet hours until 07:00")

    current = row(engine, row_id)
    assert current.status == "pending"
    assert current.attempts == 0
    assert current.claim_token is None
    assert current.last_error == "quiet hours until 07:00"
    assert abs((aware(current.next_attempt_at) - later).total_seconds()) < 1
    assert claim(engine, lease_seconds=LEASE) == []  # held back until then
    # The released claim is no longer a lease.
    assert mark_sent(engine, held) is False

    with session_scope(engine) as session:
        session.execute(
            update(Outbox).where(col(Outbox.id) == row_id).values(next_attempt_at=utcnow())
        )
    (again,) = claim(engine, lease_seconds=LEASE)
    assert again.id == row_id and again.attempts == 0
    assert mark_sent(engine, again) is True
    assert row(engine, row_id).attempts == 1
