from __future__ import annotations

from newswire.devtools.broker import _cluster_id


def test_a_cluster_id_never_reads_as_an_option() -> None:
    """One id in 64 started with "-" and the storage tool refused it (a TLS test failed)."""
    ids = [_cluster_id() for _ in range(2_000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids) and all(len(i) == 22 for i in ids)
