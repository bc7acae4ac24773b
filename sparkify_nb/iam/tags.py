"""The tags that mark what the stack made: the policies scope by them, ``infra`` sets them.

Every resource carries ``sparkify:stack = <stack_name>``; what 01 makes also carries
``sparkify:owner = <the caller's ARN>`` (:mod:`sparkify_nb.infra.owner`).
"""

import re

TAG_KEY = "sparkify:stack"
OWNER_KEY = "sparkify:owner"

# IAM, Redshift and Serverless tag values take letters, digits, spaces and _ . : / = + - @ (at most 256
# characters: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html#id_tags_rules_creating);
# a role session name may also hold a comma, which becomes "_".
_TAG_VALUE = re.compile(r"[^\w .:/=+\-@]")


def owner_value(arn: str) -> str:
    """``arn`` as a tag value (characters tags refuse become ``_``, at most 256)."""
    return _TAG_VALUE.sub("_", arn)[:256]


def stack_tags(stack_name: str, caller_arn: str, name: str) -> list[dict[str, str]]:
    """EC2/Redshift/IAM tags of a resource named ``name`` that 01 makes: the stack, its owner (the
    caller) and the name."""
    return [{"Key": TAG_KEY, "Value": stack_name}, {"Key": OWNER_KEY, "Value": owner_value(caller_arn)},
            {"Key": "Name", "Value": name}]
