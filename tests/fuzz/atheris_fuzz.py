"""Coverage-guided fuzzing of one target with atheris (libFuzzer).

    python -m tests.fuzz.atheris_fuzz TARGET [--workdir DIR] [libFuzzer options]
    python -m tests.fuzz.atheris_fuzz chunked -max_total_time=300
    python -m tests.fuzz.atheris_fuzz all -max_total_time=60      # each target in turn

TARGET is one of ``tests/fuzz/targets.py``'s (request, signature, xml,
headers, chunked). The seed corpus ``tests/fuzz/corpus/TARGET/`` is read, new
inputs go to ``--workdir`` (default ``$TMPDIR/swift3compat-fuzz/TARGET``), never
into the repository. An invariant violation (an exception, a 500, a malformed error
document) stops the run and libFuzzer writes ``crash-<sha1>``: copy it to
``tests/fuzz/corpus/TARGET/crash-<what>`` so ``test_targets.py`` replays it,
and fix the code. A hang is reported by libFuzzer's ``-timeout`` (seconds per
input, 25 here).

Needs ``pip install atheris`` (``tox -e fuzz`` installs it).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import atheris

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ('request', 'signature', 'xml', 'headers', 'chunked')

with atheris.instrument_imports(include=['swift3compat']):
    from tests.fuzz.targets import TARGETS


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('target', choices=NAMES + ('all',))
    parser.add_argument('--workdir',
                        default=os.path.join(tempfile.gettempdir(), 'swift3compat-fuzz'))
    args, libfuzzer = parser.parse_known_args(argv[1:])
    if args.target == 'all':
        # One process per target: libFuzzer runs one target per process.
        status = 0
        for name in NAMES:
            print(f'== atheris: {name}', flush=True)
            status |= subprocess.call([sys.executable, '-m', 'tests.fuzz.atheris_fuzz', name,
                                       '--workdir', args.workdir, *libfuzzer])
        return status
    work = os.path.join(args.workdir, args.target)
    os.makedirs(work, exist_ok=True)
    target = TARGETS[args.target]
    options = ['-timeout=25', '-rss_limit_mb=2048', *libfuzzer]
    atheris.Setup([argv[0], *options, work, os.path.join(HERE, 'corpus', args.target)],
                  target)
    atheris.Fuzz()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
