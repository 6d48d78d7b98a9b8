"""Stand-in for the get-pip.py that ansible-test downloads from a host this machine cannot reach.

It installs what ansible-test asked for (pip itself, pinned) into the new virtual environment
with the project's own, newer pip: tests/sanity.sh writes that pip's path in place of the
placeholder below, as ansible-test passes no environment through, and the pip bundled with
Python cannot read this machine's package index. get-pip's own switches (--no-setuptools,
--no-wheel) mean "do not add these", so they are dropped.
"""

import subprocess
import sys

arguments = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call(["@PROJECT_PIP@", "--python", sys.executable, "install", "--quiet"] + arguments)
