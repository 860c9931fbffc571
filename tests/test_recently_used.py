"""The views' caches keep their most recently used entries."""

from convdesigner.gui.recently_used import RecentlyUsed


def test_the_least_recently_used_entry_is_dropped_first():
    kept: RecentlyUsed[str, int] = RecentlyUsed(2)
    assert kept.keep("a", 1) == 1
    kept.keep("b", 2)
    assert kept.recall("a") == 1  # "a" used again: "b" is now the least recent
    kept.keep("c", 3)
    assert list(kept) == ["a", "c"] and kept.recall("b") is None
    kept.keep("a", 4)  # kept again: replaced, the most recent
    assert list(kept.items()) == [("c", 3), ("a", 4)]
