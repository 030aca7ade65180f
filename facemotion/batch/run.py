"""Run a batch: each voice line animated and exported, here, on local worker processes or on a Dask cluster.

One job runs the lines in this process. More jobs, or a scheduler address, run them through ``dask.distributed``:
a :class:`~distributed.LocalCluster` of ``jobs`` single-threaded worker processes (Dask's nanny starts them with
``OMP_NUM_THREADS=1``, so PyTorch does not oversubscribe the cores), or the cluster at ``tcp://host:8786``. A
worker process loads the models once (they are cached per process) and keeps them for every line it runs. Every
engine calls the same :func:`animate_line`, so outputs are identical wherever a line runs. A line that fails
(missing or corrupt audio, a bad transcript or emotion) is reported at the end; it never stops the batch.
"""

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem
from tqdm.auto import tqdm

from facemotion.batch.ledger import Ledger, line_key
from facemotion.batch.lines import VoiceLine
from facemotion.text.recognition import DEFAULT_RECOGNIZER

LEDGER_FILE = ".facemotion-batch.jsonl"
"""The ledger's name inside a local output folder."""


@dataclass(frozen=True)
class BatchSettings:
    """How every line of a batch is animated and written (see :func:`~facemotion.pipelines.speech_to_face.animate`
    and :class:`~facemotion.exporters.ExportOptions`).

    Attributes:
        formats: output suffixes, e.g. ``(".usdc", ".csv")``; each line writes ``NAME<suffix>`` for each.
        fps: frame rate, in (0, 1000].
        motion: ``"procedural"`` or ``"learned"``.
        model: a learned model folder, or None for the shipped one.
        recognizer: the recogniser of lines without a transcript.
        units: ``"m"`` or ``"cm"`` (USD, FBX).
        point_cache: USD point cache instead of blendshapes.
    """

    formats: tuple[str, ...] = (".usdc",)
    fps: float = 30.0
    motion: str = "procedural"
    model: str | None = None
    recognizer: str = DEFAULT_RECOGNIZER
    units: str = "m"
    point_cache: bool = False


@dataclass(frozen=True)
class LineResult:
    """What became of one line: its outputs and speech length, or the error that stopped it."""

    name: str
    outputs: tuple[str, ...] = ()
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class BatchReport:
    """A finished batch: the results of the lines run now, the lines skipped as already done, the wall time."""

    results: list[LineResult] = field(default_factory=list)
    skipped: int = 0
    wall_seconds: float = 0.0

    @property
    def failures(self) -> list[LineResult]:
        return [r for r in self.results if r.error is not None]

    def table(self) -> str:
        """The summary table: lines, written, skipped, failed, seconds of speech, wall seconds, x real time."""
        written = [r for r in self.results if r.error is None]
        speech = sum(r.seconds for r in written)
        speed = f"{speech / self.wall_seconds:.1f}" if self.wall_seconds > 0 and written else "-"
        header = f"{'lines':>6} {'written':>8} {'skipped':>8} {'failed':>7} {'speech s':>9} {'wall s':>7} {'x real time':>12}"
        row = (f"{len(self.results) + self.skipped:>6} {len(written):>8} {self.skipped:>8} {len(self.failures):>7} "
               f"{speech:>9.1f} {self.wall_seconds:>7.1f} {speed:>12}")
        return f"{header}\n{row}"


def check_batch(outdir: str, settings: BatchSettings, ledger: str | None) -> Path:
    """Check before any work that the batch can run; returns the ledger path.

    Raises:
        ValueError: for an output format facemotion does not write, settings the pipeline refuses, or a remote
            output folder without ``ledger`` (the ledger is a local file).
        FileNotFoundError, NotADirectoryError: a local output folder that is missing or not a folder.
        BlenderNotFoundError: ``.fbx`` without a Blender environment.
    """
    from facemotion.animation import check_fps
    from facemotion.exporters import SUPPORTED_FORMATS, ExportOptions, find_blender_python
    from facemotion.pipelines.speech_analysis import check_recognizer

    unknown = [f for f in settings.formats if f not in SUPPORTED_FORMATS]
    if unknown or not settings.formats:
        raise ValueError(f"unknown output format {', '.join(unknown) or '(none)'}; choose from {' '.join(SUPPORTED_FORMATS)}")
    check_fps(settings.fps)
    check_recognizer(settings.recognizer)
    ExportOptions(units=settings.units)
    if ".fbx" in settings.formats:
        find_blender_python()
    fs, path = url_to_fs(outdir)
    local = isinstance(fs, LocalFileSystem)
    if local and not Path(path).exists():
        raise FileNotFoundError(f"output folder not found: {outdir}")
    if local and not Path(path).is_dir():
        raise NotADirectoryError(f"output {outdir} is not a folder")
    if ledger is None and not local:
        raise ValueError(f"the output folder {outdir} is not local: give a local --ledger file to record progress in")
    return Path(ledger) if ledger is not None else Path(path) / LEDGER_FILE


def run_batch(
    lines: Sequence[VoiceLine],
    outdir: str,
    settings: BatchSettings = BatchSettings(),
    jobs: int = 1,
    scheduler: str | None = None,
    ledger: str | None = None,
    progress: bool = True,
) -> BatchReport:
    """Animate and export every line not already finished (:class:`~facemotion.batch.ledger.Ledger`).

    Args:
        lines: the voice lines (:func:`~facemotion.batch.lines.read_lines`).
        outdir: the output folder, local or an fsspec URL; it must exist.
        settings: how lines are animated and written.
        jobs: worker processes; 1 runs the lines in this process.
        scheduler: a Dask scheduler address (``tcp://host:8786``) to run the lines on instead.
        ledger: the ledger file; default ``OUTDIR/.facemotion-batch.jsonl`` (required for a remote folder).
        progress: show one progress bar over the lines.

    Returns:
        The :class:`BatchReport`; failed lines are in it, not raised.

    Raises:
        ValueError: for ``jobs`` < 1, or as :func:`check_batch`.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    book = Ledger(check_batch(outdir, settings, ledger))
    start = time.perf_counter()
    keys, todo, failed = {}, [], []
    for line in lines:
        try:
            keys[line.name] = line_key(line, settings)
        except OSError as error:
            failed.append(LineResult(line.name, error=f"{type(error).__name__}: {error}"))
            continue
        if not book.finished(line.name, keys[line.name]):
            todo.append(line)
    results = list(failed)
    with tqdm(total=len(todo), unit="line", desc="batch", disable=not progress) as bar:
        for result in _execute(todo, outdir, settings, jobs, scheduler):
            if result.error is None:
                book.record(result.name, keys[result.name], list(result.outputs))
            results.append(result)
            bar.update()
    skipped = len(lines) - len(todo) - len(failed)
    return BatchReport(results, skipped, time.perf_counter() - start)


def _execute(
    lines: Sequence[VoiceLine], outdir: str, settings: BatchSettings, jobs: int, scheduler: str | None
) -> Iterator[LineResult]:
    """The results of :func:`animate_line` over ``lines``, in completion order."""
    if not lines:
        return
    if jobs == 1 and scheduler is None:
        for line in lines:
            yield animate_line(line, outdir, settings)
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) \
        if scheduler is None else contextlib.nullcontext(scheduler)
    with cluster as address, Client(address) as client:
        futures = client.map(animate_line, lines, outdir=outdir, settings=settings, pure=False)
        for future in as_completed(futures):
            yield future.result()


def animate_line(line: VoiceLine, outdir: str, settings: BatchSettings) -> LineResult:
    """Animate one line and write its outputs; what goes wrong becomes the result's ``error``.

    Runs in whatever process the engine picks (this one, a local worker, a cluster worker). Remote speech is copied
    to a local temporary file first; outputs go through :func:`~facemotion.exporters.export` (atomic) and, for a
    remote folder, are then uploaded.
    """
    from facemotion.pipelines.speech_to_face import animate

    try:
        with _local_speech(line.speech) as (speech, remote):
            animation = animate(speech, _transcript(line), settings.fps, motion=settings.motion, emotion=line.emotion,
                                intensity=line.intensity, model=settings.model, recognizer=settings.recognizer)
            if remote:  # the temporary copy is gone when the take is opened later
                animation = replace(animation, audio_path=None)
            outputs = tuple(_write(animation, outdir, line.name + suffix, settings) for suffix in settings.formats)
    except Exception as error:  # one bad line never stops the batch: it is reported with the others at the end
        return LineResult(line.name, error=f"{type(error).__name__}: {error}")
    return LineResult(line.name, outputs, animation.duration)


def _transcript(line: VoiceLine) -> str | None:
    if line.transcript_file is None:
        return line.transcript
    from facemotion.inputs import decode_transcript, read_transcript

    fs, path = url_to_fs(line.transcript_file)
    if isinstance(fs, LocalFileSystem):
        return read_transcript(path)
    return decode_transcript(fs.cat_file(path), line.transcript_file)


@contextlib.contextmanager
def _local_speech(url: str) -> Iterator[tuple[str, bool]]:
    """A local path of the speech file (a temporary copy for a remote one), and whether it was remote."""
    fs, path = url_to_fs(url)
    if isinstance(fs, LocalFileSystem):
        yield path, False
        return
    with tempfile.TemporaryDirectory(prefix="facemotion-") as folder:
        local = os.path.join(folder, os.path.basename(path))
        fs.get_file(path, local)
        yield local, True


def _write(animation, outdir: str, filename: str, settings: BatchSettings) -> str:
    """Export into ``outdir`` (uploading through fsspec when it is remote); returns the output's URL or path."""
    from facemotion.exporters import ExportOptions, export

    options = ExportOptions(units=settings.units, point_cache=settings.point_cache)
    fs, folder = url_to_fs(outdir)
    if isinstance(fs, LocalFileSystem):
        return str(export(animation, Path(folder) / filename, options))
    with tempfile.TemporaryDirectory(prefix="facemotion-") as staging:
        export(animation, Path(staging) / filename, options)
        target = f"{folder.rstrip('/')}/{filename}"
        fs.put_file(str(Path(staging) / filename), target)
    return fs.unstrip_protocol(target)
