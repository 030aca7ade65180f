"""`facemotion batch`: a dozen voice lines, some bad, resumed after an interruption, and on a Dask cluster."""

import shutil
from pathlib import Path

import pytest

from facemotion import cli
from facemotion.batch import run as batch_run
from facemotion.batch.lines import read_lines
from facemotion.batch.run import BatchSettings, run_batch

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
FORMATS = (".csv", ".json", ".usda")


@pytest.fixture
def library(tmp_path):
    """A manifest of 12 lines: 9 good (real speech, some with an emotion) and 3 bad ones."""
    folder = tmp_path / "lines"
    folder.mkdir()
    text = (FIXTURES / "arctic_a0007.txt").read_text().strip()
    rows = ["path,transcript,emotion,intensity,output"]
    for i in range(9):
        shutil.copy(FIXTURES / "arctic_a0007.wav", folder / f"line{i:02d}.wav")
        emotion = ("happy", "0.5") if i % 3 == 0 else ("", "")
        rows.append(f"line{i:02d}.wav,{text},{emotion[0]},{emotion[1]},vo_{i:02d}")
    (folder / "corrupt.wav").write_bytes(b"RIFF not really a wav file")
    rows += ["corrupt.wav,hello,,,bad_corrupt", f"missing.wav,{text},,,bad_missing", f"line00.wav,{text},joy,,bad_emotion"]
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    return folder / "manifest.csv", out


def test_a_batch_writes_the_good_lines_and_reports_the_bad_ones(library, capsys):
    manifest, out = library
    code = cli.main(["batch", str(manifest), "-o", str(out), "--format", "csv,json", "-q"])
    assert code == cli.EXIT_SOME_FAILED
    captured = capsys.readouterr()
    failed = sorted(line.split(":")[2].strip() for line in captured.err.splitlines() if "failed:" in line)
    assert failed == ["bad_corrupt", "bad_emotion", "bad_missing"]
    assert "emotion must be one of" in captured.err and "not a readable audio file" in captured.err
    assert sorted(p.name for p in out.glob("vo_*")) == sorted(f"vo_{i:02d}{s}" for i in range(9) for s in (".csv", ".json"))
    assert "    12        9        0       3" in captured.out  # lines, written, skipped, failed
    assert not list(out.glob("bad_*")) and not list(out.glob(".*tmp*"))


def test_an_interrupted_batch_resumes_without_redoing_work(library, monkeypatch):
    manifest, out = library
    lines = [line for line in read_lines(str(manifest)) if not line.name.startswith("bad")]
    settings = BatchSettings(formats=(".csv",))
    calls = []
    real = batch_run.animate_line

    def interrupted_after_four(line, outdir, settings):
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(line.name)
        return real(line, outdir, settings)

    monkeypatch.setattr(batch_run, "animate_line", interrupted_after_four)
    with pytest.raises(KeyboardInterrupt):
        run_batch(lines, str(out), settings, progress=False)
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("*.csv")}
    assert sorted(first) == [f"{name}.csv" for name in calls]

    resumed = []
    monkeypatch.setattr(batch_run, "animate_line", lambda line, *args: resumed.append(line.name) or real(line, *args))
    report = run_batch(lines, str(out), settings, progress=False)
    assert report.skipped == 4 and sorted(resumed) == sorted({line.name for line in lines} - set(calls))
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in first.items())
    (out / f"{calls[0]}.csv").unlink()  # an output deleted since: that line is redone, the others are not
    assert [r.name for r in run_batch(lines, str(out), settings, progress=False).results] == [calls[0]]


def test_a_dask_cluster_of_two_workers_writes_the_same_bytes(library, tmp_path):
    manifest, out = library
    lines = [line for line in read_lines(str(manifest)) if line.name in ("vo_00", "vo_01", "vo_02", "bad_corrupt")]
    settings = BatchSettings(formats=FORMATS)
    local = run_batch(lines, str(out), settings, jobs=1, progress=False)
    (tmp_path / "dask").mkdir()
    dask = run_batch(lines, str(tmp_path / "dask"), settings, jobs=2, progress=False)
    assert [r.name for r in local.failures] == [r.name for r in dask.failures] == ["bad_corrupt"]
    for name in ("vo_00", "vo_01", "vo_02"):
        for suffix in FORMATS:
            assert (out / f"{name}{suffix}").read_bytes() == (tmp_path / "dask" / f"{name}{suffix}").read_bytes()


def test_a_folder_batch_pairs_transcripts_by_name(tmp_path):
    folder = tmp_path / "voice"
    folder.mkdir()
    shutil.copy(FIXTURES / "arctic_a0007.wav", folder / "hello.wav")
    shutil.copy(FIXTURES / "arctic_a0007.txt", folder / "hello.txt")
    (folder / "notes.md").write_text("not speech")
    (line,) = read_lines(str(folder))
    assert (line.name, Path(line.speech).name, Path(line.transcript_file).name) == ("hello", "hello.wav", "hello.txt")


@pytest.mark.parametrize(("rows", "message"), [
    ("path,speaker\na.wav,x\n", "needs a 'path' column and only"),
    ("path,output\na.wav,same\nb.wav,same\n", "two lines would write the same output name: same"),
    ("path,output\na.wav,../escape\n", "output names must be plain file names"),
    ("path,intensity\na.wav,loud\n", "row 2: intensity 'loud' is not a number"),
])
def test_a_bad_manifest_stops_before_the_work(tmp_path, capsys, rows, message):
    (tmp_path / "m.csv").write_text(rows)
    assert cli.main(["batch", str(tmp_path / "m.csv"), "-o", str(tmp_path), "-q"]) == cli.EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_bad_batch_options_stop_before_the_work(library, capsys):
    manifest, out = library
    assert cli.main(["batch", str(manifest), "-o", str(out / "nowhere"), "-q"]) == cli.EXIT_BAD_INPUT
    assert "output folder not found" in capsys.readouterr().err
    assert cli.main(["batch", str(manifest), "-o", str(out), "--format", "mov", "-q"]) == cli.EXIT_BAD_INPUT
    assert "unknown output format .mov" in capsys.readouterr().err
    assert cli.main(["batch", str(manifest), "-o", "memory://out", "-q"]) == cli.EXIT_BAD_INPUT
    assert "give a local --ledger file" in capsys.readouterr().err
    assert not list(out.iterdir())


def test_speech_and_outputs_through_fsspec_urls(tmp_path):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe_file("/studio/vo/hello.wav", (FIXTURES / "arctic_a0007.wav").read_bytes())
    fs.pipe_file("/studio/vo/hello.txt", (FIXTURES / "arctic_a0007.txt").read_bytes())
    fs.mkdir("/studio/out")
    lines = read_lines("memory://studio/vo")
    report = run_batch(lines, "memory://studio/out", BatchSettings(formats=(".csv",)), ledger=str(tmp_path / "l.jsonl"),
                       progress=False)
    assert report.failures == [] and report.results[0].outputs == ("memory:///studio/out/hello.csv",)
    assert fs.cat_file("/studio/out/hello.csv").startswith(b"Timecode,BlendShapeCount")
    assert run_batch(lines, "memory://studio/out", BatchSettings(formats=(".csv",)), ledger=str(tmp_path / "l.jsonl"),
                     progress=False).skipped == 1
