import os

import pytest

from facemotion.exporters.atomic import atomic_output


def test_writes_through_a_temporary_file_with_the_same_suffix(tmp_path):
    target = tmp_path / "take.usda"
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".usda" and tmp != target
        assert not target.exists()
        tmp.write_text("done")
    assert target.read_text() == "done"
    assert os.listdir(tmp_path) == ["take.usda"]


def test_an_exception_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "take.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["take.csv"]


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist: .*nowhere"):
        with atomic_output(tmp_path / "nowhere" / "take.npz"):
            pass


def test_a_folder_as_target_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="output path is a folder"):
        with atomic_output(tmp_path):
            pass


def test_an_unwritable_folder_gives_a_permission_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PermissionError, match="output folder is not writable"):
        with atomic_output(tmp_path / "take.npz"):
            pass
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX modes and a non-root user")
def test_a_read_only_folder_gives_a_permission_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(PermissionError, match="output folder is not writable"):
            with atomic_output(folder / "take.npz"):
                pass
    finally:
        folder.chmod(0o700)
    assert os.listdir(folder) == []


def test_sigterm_in_the_block_removes_the_temporary_file_and_restores_the_default(tmp_path):
    import signal

    from facemotion.interrupts import Terminated

    with pytest.raises(Terminated, match="SIGTERM"):
        with atomic_output(tmp_path / "take.usdc") as tmp:
            tmp.write_bytes(b"half a layer")
            os.kill(os.getpid(), signal.SIGTERM)
    assert os.listdir(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_full_disk_is_one_line_naming_the_output(tmp_path):
    import errno

    with pytest.raises(OSError, match=r"^\[Errno 28\] No space left on device: cannot write .*take.npz$") as error:
        with atomic_output(tmp_path / "take.npz") as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert error.value.errno == errno.ENOSPC and os.listdir(tmp_path) == []


def test_a_refused_replace_names_the_output_not_the_temporary_file(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "take.csv"
    target.write_text("old")

    def refuse(source, destination):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(source), None, str(destination))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError, match=f"cannot replace {target}: Operation not permitted") as error:
        with atomic_output(target) as tmp:
            tmp.write_text("new")
    assert ".tmp" not in str(error.value)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["take.csv"] and target.read_text() == "old"
