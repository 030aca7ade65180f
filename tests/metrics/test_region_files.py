"""Reading region id files in the layouts users download: FLAME_masks.pkl and CodeTalker's BIWI lve.txt/fdd.txt."""

import os
import pickle

import numpy as np
import pytest

from facemotion.metrics import lip_vertex_error, load_vertex_ids

MASKS = {
    "lips": np.array([3, 1, 4, 1, 5], np.int64),
    "forehead": np.array([9, 2], np.int32),
    "eye_region": np.array([6, 5, 3], np.int64),
}


@pytest.fixture
def masks_pkl(tmp_path):
    """A synthetic FLAME_masks.pkl: a dict of int arrays pickled with protocol 2, as the download is."""
    path = tmp_path / "FLAME_masks.pkl"
    path.write_bytes(pickle.dumps(MASKS, protocol=2))
    return path


def test_reads_a_region_of_flame_masks(masks_pkl):
    ids = load_vertex_ids(masks_pkl, "lips")
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, MASKS["lips"])


def test_concatenates_regions_in_order(masks_pkl):
    ids = load_vertex_ids(masks_pkl, ("forehead", "eye_region"))
    np.testing.assert_array_equal(ids, [9, 2, 6, 5, 3])


def test_pickle_needs_a_known_key(masks_pkl):
    with pytest.raises(ValueError, match="pass key= one of"):
        load_vertex_ids(masks_pkl)
    with pytest.raises(ValueError, match=r"no region \['nose'\].*'eye_region', 'forehead', 'lips'"):
        load_vertex_ids(masks_pkl, ["lips", "nose"])


def test_pickle_values_must_be_integer_arrays(tmp_path):
    path = tmp_path / "masks.pkl"
    path.write_bytes(pickle.dumps({"lips": np.array([0.5, 1.0])}, protocol=2))
    with pytest.raises(ValueError, match="1-D integer array"):
        load_vertex_ids(path, "lips")


class _Exploit:
    def __reduce__(self):
        return os.system, ("echo pwned",)


def test_a_pickle_that_runs_code_is_refused(tmp_path):
    path = tmp_path / "FLAME_masks.pkl"
    path.write_bytes(pickle.dumps({"lips": _Exploit()}, protocol=2))
    with pytest.raises(ValueError, match="not allowed"):
        load_vertex_ids(path, "lips")


@pytest.mark.parametrize("text", ["3, 1, 4, 1, 5", "3, 1, 4, 1, 5\n", "3\n1\n4\n1\n5\n", "3 1\t4  1 5", "3,1,\n4, 1,5"])
def test_reads_text_id_files(tmp_path, text):
    path = tmp_path / "lve.txt"
    path.write_text(text)
    np.testing.assert_array_equal(load_vertex_ids(path), [3, 1, 4, 1, 5])


@pytest.mark.parametrize(("text", "match"), [("1, 2, x", "got 'x'"), ("1, -2", "got '-2'"), (" \n", "no vertex ids")])
def test_rejects_bad_text(tmp_path, text, match):
    path = tmp_path / "fdd.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_vertex_ids(path)


def test_text_file_takes_no_key_and_missing_files_say_so(tmp_path):
    path = tmp_path / "lve.txt"
    path.write_text("1, 2")
    with pytest.raises(ValueError, match="only applies to a mask pickle"):
        load_vertex_ids(path, "lips")
    with pytest.raises(FileNotFoundError, match="no vertex id file"):
        load_vertex_ids(tmp_path / "absent.txt")


def test_loaded_ids_drive_the_metric_and_out_of_range_ids_fail(tmp_path):
    path = tmp_path / "lve.txt"
    path.write_text("0, 7")
    truth = np.zeros((2, 6, 3))
    with pytest.raises(ValueError, match=r"lie in \[0, 6\)"):
        lip_vertex_error([truth], [truth], load_vertex_ids(path))
    path.write_text("0, 5")
    prediction = truth.copy()
    prediction[:, 5, 2] = 0.5
    assert lip_vertex_error([prediction], [truth], load_vertex_ids(path)) == pytest.approx(0.25)
