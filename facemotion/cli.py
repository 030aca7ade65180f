"""The ``facemotion`` command line.

Exit codes: 0 success, 2 bad usage or bad input (missing or unreadable file, bad option value,
unwritable output), 1 internal error.
"""

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
_BAD_INPUT = (ValueError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, KeyError)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="facemotion", description="Speech-driven 3D facial animation.")
    commands = parser.add_subparsers(dest="command", required=True)
    animate = commands.add_parser("animate", help="speech file in, ARKit-52 face animation out")
    animate.add_argument("speech", type=Path, help="speech audio (wav, flac, ogg, mp3; any rate, any channels)")
    text = animate.add_mutually_exclusive_group()
    text.add_argument("--text", help="the transcript (English); without it phones are recognised from the audio")
    text.add_argument("--transcript", type=Path, help="a UTF-8 text file holding the transcript")
    animate.add_argument("--fps", type=float, default=30.0, help="output frame rate (default 30)")
    animate.add_argument("-o", "--output", type=Path, required=True, help="output file; format from extension")
    animate.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    warnings.formatwarning = lambda message, *_, **__: f"facemotion: warning: {message}\n"
    try:
        return _animate(args)
    except _BAD_INPUT as error:
        print(f"facemotion: error: {_message(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # an internal failure: say so, with a stable exit code
        print(f"facemotion: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_INTERNAL


def _animate(args: argparse.Namespace) -> int:
    from facemotion.exporters import check_output_path, export
    from facemotion.pipelines.speech_to_face import animate

    check_output_path(args.output)
    transcript = args.text
    if args.transcript is not None:
        if not args.transcript.is_file():
            raise FileNotFoundError(f"transcript file not found: {args.transcript}")
        transcript = args.transcript.read_text(encoding="utf-8")
    animation = animate(args.speech, transcript, args.fps, progress=not args.quiet)
    path = export(animation, args.output)
    print(f"wrote {path} ({animation.n_frames} frames at {animation.fps:g} fps)")
    return EXIT_OK


def _message(error: BaseException) -> str:
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
