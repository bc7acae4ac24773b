"""The tags that mark what the stack made: the policies scope by them, ``infra`` sets them.

Every resource carries ``sparkify:stack = <stack_name>``; what 01 makes also carries
``sparkify:owner = <the caller's ARN>`` (:mod:`sparkify_nb.infra.owner`).
"""

TAG_KEY = "sparkify:stack"
OWNER_KEY = "sparkify:owner"
