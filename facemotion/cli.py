"""The ``facemotion`` command line.

Exit codes: 0 success, 2 bad usage or bad input (missing or unreadable file, bad option value,
unwritable output, disk full, no Blender environment for FBX), 1 internal error, 3 a batch finished with some lines
failed (one line each on stderr), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); every failure prints one line
on stderr and leaves no output or temporary file.
"""

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from facemotion.interrupts import Terminated, terminate_cleanly

PERFORMANCE_LAYERS = ("blinks", "gaze", "brows", "head", "breathing")
"""The behaviours of the performance layer, each switched off by ``--no-<name>``."""

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_SOME_FAILED = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
"""128 + the signal number, as shells report a process stopped by SIGINT or SIGTERM."""
_BAD_INPUT = (ValueError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, KeyError)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-o", "--output", type=Path, required=True,
                        help="output file; the format follows the extension: "
                             ".usda .usdc .usdz .glb .gltf .fbx .csv .json .npz")
    output.add_argument("--units", choices=("m", "cm"), default="m",
                        help="length unit of the written mesh (USD, FBX); default m")
    output.add_argument("--point-cache", action="store_true",
                        help="USD: time-sampled mesh points instead of blendshapes")

    parser = argparse.ArgumentParser(prog="facemotion", description="Speech-driven 3D facial animation.")
    commands = parser.add_subparsers(dest="command", required=True)
    animate = commands.add_parser("animate", parents=[output], help="speech file in, ARKit-52 face animation out")
    animate.add_argument("speech", type=Path, help="speech audio (wav, flac, ogg, mp3; any rate, any channels)")
    text = animate.add_mutually_exclusive_group()
    text.add_argument("--text", help="the transcript (in the speech's language); without it the speech is "
                                     "recognised (--recognizer)")
    text.add_argument("--transcript", type=Path, help="a UTF-8 text file holding the transcript")
    animate.add_argument("--recognizer", default="whisper",
                         help="without a transcript: whisper (default: Whisper base detects the language and "
                              "transcribes, English by Whisper tiny.en; then forced alignment), whisper-base (base "
                              "in every language), whisper-tiny.en (English only), phonetic (pocketsphinx phones) "
                              "or hama (hama's phone recogniser)")
    animate.add_argument("--language", help="the speech's language, ISO 639-1 (en, fr, ja, ...; an unsupported code "
                                            "lists the supported ones; default: the transcript's, or detected by "
                                            "Whisper)")
    animate.add_argument("--fps", type=float, default=30.0, help="output frame rate (default 30)")
    animate.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    animate.add_argument("--preview", type=Path,
                         help="also render a preview video of the animation with the speech (.mp4)")
    animate.add_argument("--preview-size", type=int, default=512,
                         help="preview frame height and width in pixels, even (default 512)")
    animate.add_argument("--motion", choices=("procedural", "learned"), default="procedural",
                         help="rule-based coarticulation (default) or the learned model")
    animate.add_argument("--model", type=Path, help="a model folder written by `facemotion train` (default: shipped)")
    animate.add_argument("--emotion", default="neutral",
                         help="neutral happy sad surprised fear disgusted angry contempt (learned: from its motion "
                              "prior; procedural: the emotion's FACS recipe over the speech)")
    animate.add_argument("--intensity", type=float,
                         help="emotion intensity 0..1 (default 1; neutral takes none)")
    performance = animate.add_argument_group(
        "performance", "blinks, gaze, brows, head motion and breathing timed by the speech (all on by default)")
    for layer in PERFORMANCE_LAYERS:
        performance.add_argument(f"--no-{layer}", action="store_true", help=f"no {layer}")
    performance.add_argument("--no-performance", action="store_true", help="none of them: a still face and head")
    performance.add_argument("--performance-scale", type=float, default=1.0,
                             help="amplitude of gaze, brows, head motion and breathing (default 1)")
    performance.add_argument("--seed", type=int, default=0, help="random seed of the performance (default 0)")
    animate.add_argument("--flame", type=Path,
                         help="your FLAME model folder: also write FLAME expression + jaw pose (needs -o NAME.npz)")

    batch = commands.add_parser(
        "batch", help="animate a folder or a manifest of voice lines, resumably, on local cores or a Dask cluster")
    batch.add_argument("inputs", help="a folder of speech files (NAME.txt beside NAME.wav is its transcript) or a "
                                      "manifest .csv (columns path, transcript, emotion, intensity, output); local "
                                      "paths or fsspec URLs")
    batch.add_argument("-o", "--output", required=True, help="the output folder (local or an fsspec URL); it must exist")
    batch.add_argument("--format", default="usdc",
                       help="comma-separated output formats, e.g. usdc,csv (default usdc)")
    batch.add_argument("--jobs", type=int, default=1, help="worker processes on this machine (default 1)")
    batch.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://host:8786")
    batch.add_argument("--ledger", type=Path,
                       help="the file recording finished lines (default OUTDIR/.facemotion-batch.jsonl)")
    batch.add_argument("--fps", type=float, default=30.0, help="output frame rate (default 30)")
    batch.add_argument("--motion", choices=("procedural", "learned"), default="procedural")
    batch.add_argument("--model", help="a learned model folder (with --motion learned)")
    batch.add_argument("--recognizer", default="whisper", help="for lines without a transcript (as animate)")
    batch.add_argument("--units", choices=("m", "cm"), default="m", help="length unit of USD and FBX meshes")
    batch.add_argument("--point-cache", action="store_true", help="USD: time-sampled mesh points")
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    export = commands.add_parser("export", parents=[output], help="convert a saved animation (.npz) to another format")
    export.add_argument("animation", type=Path, help="an animation written by `animate -o take.npz`")
    export.add_argument("--fps", type=float, help="resample to this frame rate (linear interpolation)")

    retarget = commands.add_parser(
        "retarget", help="animate your own character (.glb .gltf .usd .usda .usdc) with a saved animation"
    )
    retarget.add_argument("animation", type=Path, help="an animation written by `animate -o take.npz`")
    retarget.add_argument("--rig", type=Path, required=True,
                          help="the character: glTF (.glb .gltf) or USD (.usd .usda .usdc) with named blendshapes")
    retarget.add_argument("--mapping",
                          help="a shipped mapping (arkit, livelink, lr_suffix, vrm_visemes) or a mapping .yaml file; "
                               "default: blendshapes named like ARKit channels, ignoring case")
    retarget.add_argument("-o", "--output", type=Path, required=True,
                          help="output file, in the character's format (glTF -> .glb/.gltf, USD -> .usd/.usda/.usdc)")
    retarget.add_argument("--fps", type=float, help="resample to this frame rate first (linear interpolation)")
    render = commands.add_parser(
        "render", help="preview video (.mp4, H.264 + the speech) or contact sheet (.png) of a saved animation")
    render.add_argument("animation", type=Path, help="an animation written by `animate -o take.npz`")
    render.add_argument("-o", "--output", type=Path, required=True,
                        help="preview.mp4 (every frame, with audio) or sheet.png (a 6x4 grid of frames)")
    render.add_argument("--audio", type=Path, help="speech to mux in; default: the animation's own audio file")
    render.add_argument("--size", type=int, default=512, help="frame height and width in pixels, even (default 512)")
    render.add_argument("--compare", type=Path, help="a second animation (.npz) shown on the right, same fps/length")
    render.add_argument("--fov", type=float, metavar="DEGREES",
                        help="perspective camera with this vertical field of view (default: orthographic)")
    render.add_argument("--labels", nargs=2, metavar=("LEFT", "RIGHT"), help="captions of the two sides")
    render.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    view = commands.add_parser(
        "view", help="watch a saved animation (.npz, or a .glb take) with its speech in the browser (three.js)")
    view.add_argument("animation", type=Path, help="an animation written by `animate -o take.npz` (or take.glb)")
    view.add_argument("--audio", type=Path, help="the speech to play; default: the animation's own audio file")
    view.add_argument("--compare", type=Path, help="a second animation (.npz or .glb) shown beside it")
    view.add_argument("--labels", nargs=2, metavar=("LEFT", "RIGHT"), help="captions of the two takes")
    view.add_argument("--rig", type=Path, help="show it on your glTF character (.glb .gltf) instead of the head")
    view.add_argument("--mapping", help="with --rig: a shipped mapping or a mapping .yaml file (as retarget)")
    view.add_argument("--port", type=int, default=0, help="local port to serve on (default: a free one)")
    view.add_argument("--no-browser", action="store_true", help="serve only; do not open a browser")
    train = commands.add_parser(
        "train", help="train a learned model from a YAML config (stage prior, motion, or sync: the lip-sync expert)")
    train.add_argument("--config", type=Path, required=True, help="a training YAML, e.g. configs/facegood_motion.yaml")
    train.add_argument("--set", nargs="*", default=[], metavar="SECTION.KEY=VALUE",
                       help="override config values, e.g. optim.max_steps=100 trainer.devices=2")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    warnings.formatwarning = lambda message, *_, **__: f"facemotion: warning: {message}\n"
    try:
        with terminate_cleanly():
            return _run(args)
    except KeyboardInterrupt:
        print("facemotion: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("facemotion: terminated", file=sys.stderr)
        return EXIT_TERMINATED


def _run(args: argparse.Namespace) -> int:
    """Run one sub-command; an error becomes one line on stderr and its exit code."""
    from facemotion.exporters import BlenderNotFoundError
    from facemotion.exporters.atomic import DISK_FULL_ERRNOS

    try:
        commands = {"animate": _animate, "batch": _batch, "export": _export, "retarget": _retarget, "render": _render,
                    "train": _train, "view": _view}
        return commands[args.command](args)
    except (*_BAD_INPUT, BlenderNotFoundError) as error:
        return _error(_message(error))
    except Exception as error:
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:  # the user's disk, not our bug
            return _error(_message(error))
        # an internal failure: say so, with a stable exit code
        print(f"facemotion: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_INTERNAL


def _error(message: str) -> int:
    print(f"facemotion: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _train(args: argparse.Namespace) -> int:
    try:
        from facemotion.training.train import load_training_config, train
    except ModuleNotFoundError as error:  # an inference-only install: a missing install step, as Blender for FBX
        return _error(str(error))
    output = train(load_training_config(args.config, args.set))
    print(f"facemotion: model written to {output}", file=sys.stderr)
    return EXIT_OK


def _animate(args: argparse.Namespace) -> int:
    _progress(args, "loading the speech models")
    from facemotion.animation import check_fps
    from facemotion.exporters import check_output_path
    from facemotion.expression.emotion import emotion_intensity
    from facemotion.inputs import read_transcript
    from facemotion.pipelines.speech_to_face import animate, check_seed
    from facemotion.text.languages import check_language

    check_output_path(args.output)
    if args.preview is not None:
        _check_preview_path(args.preview, args)
    check_fps(args.fps)
    emotion_intensity(args.emotion, args.intensity)
    performance = _performance(args)
    check_seed(args.seed)
    if args.language is not None:
        check_language(args.language)
    transcript = args.text if args.transcript is None else read_transcript(args.transcript)
    mapping = None if args.flame is None else _flame_mapping(args.flame, args.output)
    _progress(args, f"animating {args.speech}: voice activity, phonemes, {args.motion} motion")
    animation = animate(
        args.speech, transcript, args.fps, not args.quiet, args.motion, args.emotion, args.intensity, args.model,
        args.recognizer, performance, args.seed, args.language
    )
    code = _write(animation if mapping is None else animation.to_flame(mapping), args)
    if args.preview is not None:
        _preview(animation, args.preview, args)
    return code


def _performance(args: argparse.Namespace):
    """The :class:`~facemotion.expression.performance.PerformanceSettings` of the options; None for
    ``--no-performance``."""
    from facemotion.expression.performance import PerformanceSettings

    if args.no_performance:
        return None
    switches = {layer: not getattr(args, f"no_{layer}") for layer in PERFORMANCE_LAYERS}
    try:
        return PerformanceSettings(**switches, scale=args.performance_scale)
    except ValueError as error:
        raise ValueError(f"--performance-{error}") from None


def _batch(args: argparse.Namespace) -> int:
    from facemotion.batch.lines import read_lines
    from facemotion.batch.run import BatchSettings, run_batch

    formats = tuple(f".{name.strip().lower().lstrip('.')}" for name in args.format.split(",") if name.strip())
    if args.model is not None and args.motion != "learned":
        raise ValueError("a model folder needs the learned motion (--motion learned)")
    settings = BatchSettings(formats, args.fps, args.motion, args.model, args.recognizer, args.units, args.point_cache)
    lines = read_lines(args.inputs)
    report = run_batch(lines, args.output, settings, args.jobs, args.scheduler,
                       None if args.ledger is None else str(args.ledger), not args.quiet)
    print(report.table())
    for failure in report.failures:
        print(f"facemotion: failed: {failure.name}: {failure.error}", file=sys.stderr)
    return EXIT_SOME_FAILED if report.failures else EXIT_OK


def _progress(args: argparse.Namespace, step: str) -> None:
    """Say on stdout, unless ``--quiet``, what the next long step is (``make demo`` was silent for a minute)."""
    if not args.quiet:
        print(f"facemotion: {step} ...", flush=True)


def _check_preview_path(path: Path, args: argparse.Namespace) -> None:
    """Fail before the long work when the preview cannot be written."""
    from facemotion.exporters.atomic import check_writable
    from facemotion.rendering.video import check_size

    if path.suffix.lower() != ".mp4":
        raise ValueError(f"--preview writes an .mp4 video, got {path.name!r}")
    try:
        check_size(args.preview_size)
    except ValueError as error:
        raise ValueError(f"--preview-{error}") from None
    check_writable(path)


def _preview(animation, path: Path, args: argparse.Namespace) -> None:
    """Render the preview video of ``animation`` with the speech of ``args.speech`` (``animate --preview``)."""
    from facemotion.rendering.video import render_preview

    out = render_preview(animation, path, audio=args.speech, size=args.preview_size, progress=not args.quiet)
    print(f"wrote {out} (preview, {animation.n_frames} frames at {animation.fps:g} fps)")


def _render(args: argparse.Namespace) -> int:
    from facemotion.exporters import read_npz
    from facemotion.rendering.video import contact_sheet, render_preview

    animation = read_npz(args.animation)
    if args.output.suffix.lower() == ".png":
        if args.compare or args.labels or args.audio or args.fov:
            raise ValueError(
                "--compare, --labels, --audio and --fov apply to .mp4 previews, not to a .png contact sheet")
        out = contact_sheet(animation, args.output)
        print(f"wrote {out} (contact sheet of {animation.n_frames} frames)")
        return EXIT_OK
    if args.labels and args.compare is None:
        raise ValueError("--labels needs --compare")
    compare = None if args.compare is None else read_npz(args.compare)
    out = render_preview(animation, args.output, audio=args.audio, size=args.size, compare=compare,
                         labels=None if args.labels is None else tuple(args.labels), progress=not args.quiet,
                         fov_degrees=args.fov)
    print(f"wrote {out} ({animation.n_frames} frames at {animation.fps:g} fps)")
    return EXIT_OK


def _view(args: argparse.Namespace) -> int:
    """Serve the viewer page of the take(s) on 127.0.0.1 until Ctrl-C (exit 0) or SIGTERM (143)."""
    import webbrowser

    from facemotion.viewer.data import viewer_data
    from facemotion.viewer.server import ViewerServer

    if args.labels and args.compare is None:
        raise ValueError("--labels needs --compare")
    if args.mapping and args.rig is None:
        raise ValueError("--mapping needs --rig")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in [0, 65535], got {args.port}")
    takes = [_read_take(path) for path in (args.animation, args.compare) if path is not None]
    glb_take = args.animation.suffix.lower() in (".glb", ".gltf")
    with warnings.catch_warnings(record=True) as caught:  # shown below, also under pytest and -W filters
        warnings.simplefilter("always")
        data = viewer_data(takes, labels=args.labels or [path.stem for path in (args.animation, args.compare) if path],
                           audio=args.audio, character=args.rig or (args.animation if glb_take else None),
                           mapping=args.mapping)
    for warning in caught:
        print(f"facemotion: warning: {warning.message}", file=sys.stderr)
    try:
        server = ViewerServer(data, args.port)
    except OSError as error:  # the port is taken, or not ours to open
        return _error(f"cannot serve on 127.0.0.1:{args.port}: {error.strerror or error}")
    print(f"facemotion: viewer at {server.url} (Ctrl-C to stop)", flush=True)
    if not args.no_browser and not webbrowser.open(server.url):
        print(f"facemotion: no browser found; open {server.url}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # the way to stop a server
        return EXIT_OK
    finally:
        server.server_close()
    return EXIT_OK


def _read_take(path: Path):
    """A take from an .npz (``animate -o``) or a glTF file's animation (.glb, .gltf)."""
    from facemotion.exporters import read_npz
    from facemotion.viewer.gltf_take import read_gltf_take

    return read_gltf_take(path) if path.suffix.lower() in (".glb", ".gltf") else read_npz(path)


def _flame_mapping(flame_dir: Path, output: Path):
    """Fit the ARKit-to-FLAME map on the user's FLAME and print its residuals."""
    from facemotion.face_models.arkit_to_flame import fit_arkit_to_flame
    from facemotion.face_models.flame import FLAME
    from facemotion.face_models.names import ARKIT_52

    if output.suffix.lower() != ".npz":
        raise ValueError(f"--flame writes FLAME parameters into an .npz take; got {output.name!r}")
    mapping = fit_arkit_to_flame(FLAME.from_files(flame_dir))
    worst = sorted(zip(mapping.residual_mm, ARKIT_52), reverse=True)[:3]
    print("ARKit-to-FLAME fit, landmark residual per blendshape: mean "
          f"{mapping.residual_mm.mean():.2f} mm; largest " + ", ".join(f"{n} {r:.2f} mm" for r, n in worst))
    return mapping


def _export(args: argparse.Namespace) -> int:
    from facemotion.exporters import check_output_path, read_npz

    check_output_path(args.output)
    animation = read_npz(args.animation)
    return _write(animation if args.fps is None else animation.resample(args.fps), args)


def _retarget(args: argparse.Namespace) -> int:
    from facemotion.exporters import read_npz
    from facemotion.retarget import retarget

    animation = read_npz(args.animation)
    if args.fps is not None:
        animation = animation.resample(args.fps)
    with warnings.catch_warnings(record=True) as caught:  # shown below, also under pytest and -W filters
        warnings.simplefilter("always")
        report = retarget(animation, args.rig, args.output, args.mapping)
    for warning in caught:
        print(f"facemotion: warning: {warning.message}", file=sys.stderr)
    print(f"wrote {report.output} ({animation.n_frames} frames at {animation.fps:g} fps); mapping "
          f"{report.mapping!r}: {len(report.mapped)} blendshapes driven, {len(report.unmapped_targets)} not driven")
    return EXIT_OK


def _write(animation, args: argparse.Namespace) -> int:
    from facemotion.exporters import ExportOptions, export

    path = export(animation, args.output, ExportOptions(units=args.units, point_cache=args.point_cache))
    print(f"wrote {path} ({animation.n_frames} frames at {animation.fps:g} fps)")
    return EXIT_OK


def _message(error: BaseException) -> str:
    """The error's own words: a KeyError's message unquoted, an OSError's without its ``[Errno N]`` prefix."""
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    if isinstance(error, OSError) and error.strerror and error.filename is None:
        return error.strerror
    return str(error)
