"""The bounded set of files behind the store's local caches: least recently used go first,
bytes are counted exactly, evicted files are deleted, a removed result's files are forgotten."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tui.store.filecache import FileLRU


def put(files: FileLRU, path: Path, size: int = 100, **kwargs) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return files.add(path, size, **kwargs)


def test_the_least_recently_used_go_first_and_their_files_with_them(tmp_path):
    files = FileLRU(capacity_bytes=1000)
    paths = [tmp_path / f"f{i}" for i in range(4)]
    for path in paths:
        assert put(files, path)
    assert files.nbytes == 400
    assert files.evict(1) == 100  # a whole file, the oldest
    assert [p.exists() for p in paths] == [False, True, True, True]
    assert paths[0] not in files and paths[1] in files
    assert files.evict(150) == 200
    assert [p.exists() for p in paths] == [False, False, False, True]
    assert files.nbytes == 100
    assert files.evict(1000) == 100 and files.nbytes == 0 and not paths[3].exists()
    assert files.evict(1) == 0  # none left


def test_touch_and_add_again_make_a_file_the_most_recently_used(tmp_path):
    files = FileLRU(capacity_bytes=1000)
    a, b, c = (tmp_path / name for name in "abc")
    for path in (a, b, c):
        put(files, path)
    assert files.touch(a)
    assert not files.touch(tmp_path / "never-added")
    assert a in files  # asking does not change the order
    files.evict(1)
    assert not b.exists() and a.exists() and c.exists()
    assert not put(files, c, 50)  # counted already: its new size replaces the old
    assert files.nbytes == 150
    files.evict(1)
    assert not a.exists() and c.exists() and files.nbytes == 50


def test_make_room_frees_just_enough_for_what_comes_next(tmp_path):
    files = FileLRU(capacity_bytes=300)
    paths = [tmp_path / f"f{i}" for i in range(3)]
    for path in paths:
        put(files, path)
    assert files.make_room(0) == 0  # full, not over
    assert files.make_room(50) == 100
    assert [p.exists() for p in paths] == [False, True, True] and files.nbytes == 200
    assert files.make_room(100) == 0
    assert files.make_room(400) == 200 and files.nbytes == 0


def test_add_within_capacity_evicts_older_files_but_never_the_new_one(tmp_path):
    files = FileLRU(capacity_bytes=250)
    paths = [tmp_path / f"f{i}" for i in range(3)]
    for path in paths:
        put(files, path, within_capacity=True)
    assert [p.exists() for p in paths] == [False, True, True] and files.nbytes == 200
    big = tmp_path / "big"
    put(files, big, 400, within_capacity=True)  # larger than the capacity: alone, but kept
    assert big.exists() and files.nbytes == 400
    assert not any(p.exists() for p in paths)
    # without within_capacity nothing is evicted on adding (the caller made room before)
    put(files, paths[0])
    assert big.exists() and files.nbytes == 500


def test_a_file_already_gone_is_counted_as_freed(tmp_path):
    files = FileLRU(capacity_bytes=1000)
    put(files, tmp_path / "a")
    (tmp_path / "a").unlink()  # its result was removed meanwhile
    assert files.evict(1) == 100 and files.nbytes == 0


def test_forget_stops_counting_a_directory_without_deleting_its_files(tmp_path):
    files = FileLRU(capacity_bytes=1000)
    kept = [tmp_path / "r10" / "chunk-0", tmp_path / "other" / "chunk-0"]  # r10 starts like r1
    gone = [tmp_path / "r1" / "chunk-0", tmp_path / "r1" / "chunk-1"]
    for path in [*gone, *kept]:
        put(files, path)
    files.forget(tmp_path / "r1")
    assert files.nbytes == 200
    assert all(p.exists() for p in gone)  # the caller removes the directory
    assert not any(p in files for p in gone) and all(p in files for p in kept)
    assert files.evict(1000) == 200
    assert all(p.exists() for p in gone) and not any(p.exists() for p in kept)


def test_a_file_fetched_again_while_its_old_copy_is_evicted_stays_on_disk(tmp_path, monkeypatch):
    """One thread evicts a file while another finds it gone and fetches it again under the
    same path: the eviction deletes the old copy only, never the new one it did not count
    (which would leave a counted file missing, and every later read of it failing)."""
    files = FileLRU(capacity_bytes=1000)
    path = tmp_path / "chunk-0"
    put(files, path)
    unlinking, finish_unlink = threading.Event(), threading.Event()

    def slow_unlink(target, *args, **kwargs):
        unlinking.set()
        finish_unlink.wait(10)
        real_unlink(target, *args, **kwargs)

    def fetch() -> None:
        if not files.touch(path):
            tmp = tmp_path / "chunk-0.tmp"
            tmp.write_bytes(b"y" * 100)
            tmp.replace(path)
            files.add(path, 100)

    real_unlink = os.unlink
    monkeypatch.setattr(os, "unlink", slow_unlink)
    evictor = threading.Thread(target=files.evict, args=(1,))
    evictor.start()
    assert unlinking.wait(10)
    fetcher = threading.Thread(target=fetch)
    fetcher.start()
    # time for a set that deletes outside its lock to let the fetch through; a correct one
    # holds the fetch back however long this is, so the wait cannot fail the test
    fetcher.join(0.5)
    finish_unlink.set()
    evictor.join()
    fetcher.join()
    monkeypatch.undo()
    assert path in files and files.nbytes == 100
    assert path.read_bytes() == b"y" * 100


def test_threads_adding_touching_and_evicting_keep_the_count_and_the_disk_in_step(tmp_path):
    """Several threads fetch the same few files again and again (written, then added within
    the capacity) and make room: at the end, whatever is counted is on disk, and its bytes are
    what the set says."""
    files = FileLRU(capacity_bytes=500)
    names = [tmp_path / f"chunk-{i}" for i in range(12)]
    errors: list[BaseException] = []

    def fetcher(seed: int) -> None:
        try:
            for i in range(300):
                path = names[(seed * 7 + i) % len(names)]
                if not files.touch(path):
                    tmp = path.with_name(f"{path.name}.{seed}.tmp")
                    tmp.write_bytes(b"x" * 100)
                    tmp.replace(path)
                    files.add(path, 100, within_capacity=True)
                if i % 10 == 0:
                    files.make_room(100)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=fetcher, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counted = [p for p in names if p in files]
    assert files.nbytes == 100 * len(counted) <= 500
    assert all(p.exists() for p in counted)
