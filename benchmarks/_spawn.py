"""Run a command and append its peak resident memory to its output:

    python -m benchmarks._spawn CMD ARGS...   ->  CMD's stdout, then "maxrss_kb N"

Why a process of its own: on Linux a child's ``ru_maxrss`` starts from the RSS of
the process it was forked from (the high-water mark survives ``execve``), so a
child of the benchmark driver (boto3, uploads: 150+ MB) would report at least
that. Forked from this small process, the child's figure is its own (plus its
waited-for descendants', e.g. a notebook's kernel). Exits with the child's code.
"""

import os
import sys

pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stdout.write(f"\nmaxrss_kb {usage.ru_maxrss}\n")   # Linux: kilobytes
sys.stdout.flush()
sys.exit(os.waitstatus_to_exitcode(status))
