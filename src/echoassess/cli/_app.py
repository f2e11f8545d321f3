"""The command-line application: the Typer app, logging, exit codes and the
one error surface every command shares (:func:`guarded`)."""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from .._version import __version__
from ..errors import EchoAssessError, InvalidParameterError, printable

app = typer.Typer(
    name="echoassess",
    help="Measure mitral regurgitation colour-Doppler jet area from echo DICOM clips.\n\n"
    "Exit status (every command): 0 ok; 1 some inputs failed (unreadable or "
    "unanalysable clips); 2 usage or environment (bad option, missing path, "
    "unwritable output).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"echoassess {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show debug logging and the traceback of unexpected errors.")
    ] = False,
) -> None:
    """Measure mitral regurgitation colour-Doppler jet area from echo DICOM clips."""
    configure_logging(logging.DEBUG if debug else logging.WARNING)
    if not debug:
        import warnings

        # pydicom's warnings quote header values (a patient's name or ID among
        # them); the library reports what matters through its log
        warnings.simplefilter("ignore")


class _StderrHandler(logging.StreamHandler):
    """The CLI's log handler: one line per message on the current stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))

    @property  # always today's sys.stderr (tests swap it)
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def configure_logging(level: int) -> None:
    """Send the library's log to stderr at ``level`` (``--quiet`` raises it to ERROR)."""
    log = logging.getLogger("echoassess")
    handler = next((h for h in log.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        log.addHandler(handler)
    handler.setLevel(level)
    log.setLevel(min(level, logging.WARNING))


def debug_on() -> bool:
    """Whether ``--debug`` was given (it set the CLI's log handler to DEBUG)."""
    log = logging.getLogger("echoassess")
    return any(isinstance(h, _StderrHandler) and h.level <= logging.DEBUG for h in log.handlers)


#: Exit status of every command (README "Exit status", and each command's --help).
EXIT_OK = 0
#: some inputs failed: a clip could not be read or analysed (batch: errors.csv has rows)
EXIT_INPUT_FAILED = 1
#: usage or environment: a bad option value, a missing input path, an output
#: that cannot be written, a missing optional package, an unreachable scheduler
EXIT_USAGE = 2

EXIT_CODES_HELP = (
    "Exit status: 0 ok; 1 some inputs failed (unreadable or unanalysable "
    "clips); 2 usage or environment (bad option, missing path, unwritable "
    "output)."
)


def _exit_code(err: EchoAssessError) -> int:
    """The exit status for a project error: a problem of the inputs' content is 1,
    one of the command line or the environment is 2."""
    from ..errors import DicomWebError, OutputError

    return (
        EXIT_USAGE
        if isinstance(err, (InvalidParameterError, OutputError, DicomWebError))
        else EXIT_INPUT_FAILED
    )


def fail(err: EchoAssessError, code: int | None = None) -> None:
    typer.secho(f"error: {printable(str(err))}", fg=typer.colors.RED, err=True)
    raise typer.Exit(_exit_code(err) if code is None else code)


def require_files(*paths: Path) -> None:
    """A missing input path is a usage error (exit 2), as in every command."""
    for path in paths:
        if not Path(path).exists():
            raise InvalidParameterError(path, "no such file", hint="check the path (see `echoassess --help`)")


def _is_cli_exception(exc: BaseException) -> bool:
    """An exception of the command-line framework (exit, abort, usage), which it
    handles itself. Recognised by module, not imported: typer >= 0.2x vendors
    click as ``typer._click`` and a plain ``pip install`` has no ``click``."""
    return any(
        (getattr(t, "__module__", "") or "").split(".")[0] in ("click", "typer") for t in type(exc).__mro__
    )


def guarded(fn):
    """One error surface for every command: ``error: FILE: reason (hint)`` and exit 1
    for input problems; for anything unexpected one line and a pointer to
    ``--debug``, which re-raises it with its traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except EchoAssessError as err:
            fail(err)
        except Exception as exc:
            if _is_cli_exception(exc) or debug_on():
                raise
            # the exception's own text is not shown: it may quote a header value
            typer.secho(
                f"error: unexpected {type(exc).__name__} in `{fn.__name__.removesuffix('_cmd')}`"
                " (a bug; rerun with --debug for the traceback)",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(EXIT_INPUT_FAILED) from None

    return wrapper


def output_file(path: Path | None, option: str, example: str) -> None:
    """Refuse an output file name that is an existing folder."""
    if path is not None and path.is_dir():
        raise InvalidParameterError(
            path,
            f"{option} is an existing folder, not a file name",
            hint=f"give a file, e.g. {option} {path / example}",
        )


def progress_printer(quiet: bool):
    """Progress messages as grey lines on stderr, or None when ``quiet``."""
    if quiet:
        return None
    return lambda msg: typer.secho(printable(f"… {msg}"), err=True, fg=typer.colors.BRIGHT_BLACK)


def alias(value, old_value, name: str, old_name: str):
    """The value of an option given under its name or its old (hidden) alias."""
    if value is not None and old_value is not None and value != old_value:
        raise InvalidParameterError(
            None, f"{name} and {old_name} (its old name) disagree", hint=f"give {name} only"
        )
    return value if value is not None else old_value


def parse_numbers(text: str | None, n: int, option: str, example: str) -> tuple[float, ...] | None:
    """``"x,y,..."`` as ``n`` floats (None when not given); anything else is a usage error."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != n:
        raise InvalidParameterError(
            None, f"{option} {text!r} must be {n} comma-separated numbers", hint=f"e.g. {option} {example}"
        )
    return values


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except EchoAssessError as err:  # pragma: no cover - commands catch their own
        typer.secho(f"error: {printable(str(err))}", fg=typer.colors.RED, err=True)
        sys.exit(1)
