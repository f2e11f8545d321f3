"""The ``echoassess`` command line.

Thin by design: each command parses its options, calls one function of
:mod:`echoassess.workflows` (or :func:`echoassess.run_batch`) and prints or
writes the result. Heavy imports happen inside the commands so
``echoassess --help`` is instant.

One module per command: :mod:`.info`, :mod:`.pair` (``compare``, ``demo``),
:mod:`.check`, :mod:`.batch`; :mod:`._app` holds the app, logging, exit
codes and the error surface they share.
"""

# each module registers its command; their order is the order of ``--help``
# isort: off
from . import info, pair, check, batch  # noqa: F401

# isort: on
from ._app import EXIT_CODES_HELP, EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, app, main

__all__ = ["app", "main", "EXIT_OK", "EXIT_INPUT_FAILED", "EXIT_USAGE", "EXIT_CODES_HELP"]
