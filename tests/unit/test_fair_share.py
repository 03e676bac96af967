"""A tenant's fair share of the queues: a bucket of one second's worth, refilled over time."""

from backend.notifications.fairness import FairShare


def test_within_the_share_nothing_is_over():
    share = FairShare(per_second=10)
    assert [share.over("a", now=0.0) for _ in range(10)] == [False] * 10


def test_past_the_share_entries_are_over_until_the_bucket_refills():
    share = FairShare(per_second=10)
    for _ in range(10):
        share.over("a", now=0.0)
    assert share.over("a", now=0.0)
    assert share.over("a", now=0.05)  # half a token back: still over
    assert not share.over("a", now=0.2)  # two tokens back


def test_one_tenants_flood_is_not_anothers():
    share = FairShare(per_second=5)
    flooded = [share.over("noisy", now=1.0) for _ in range(100)]
    assert sum(flooded) == 95
    assert not share.over("quiet", now=1.0)


def test_the_bucket_never_holds_more_than_one_second():
    share = FairShare(per_second=5)
    share.over("a", now=0.0)
    results = [share.over("a", now=3600.0) for _ in range(6)]
    assert results == [False] * 5 + [True]
