"""The operator policy's S3 rules: the sources by name, ``sparkify-nb compact``
into your own bucket, and the stack's work bucket (:mod:`.scopes` says how
rules are chosen)."""

from __future__ import annotations

from ..config import REDSHIFT_SOURCES
from ..s3uri import parse_s3_uri
from . import reach, workbucket
from .rule import Rule, Stack


def _source_objects(stack: Stack) -> list[str]:
    return sorted({reach.arn(o, stack.partition) for o in reach.copy_reach(stack.settings, work=False).objects})


_PUBLIC_SONGS = parse_s3_uri(REDSHIFT_SOURCES["song_data"])


def _compaction_targets(stack: Stack, parts: bool = False) -> list[str]:
    return sorted({reach.arn(uri, stack.partition) for pair in reach.compaction_targets(stack.settings)
                   for uri in pair[parts:]})


def _bucket_arn(stack: Stack) -> str:
    return f"arn:{stack.partition}:s3:::{workbucket.bucket_name(stack.settings, stack.account)}"


RULES: list[Rule] = [
    # --- S3: the sources, by name ---
    Rule("SourceBuckets", frozenset({"s3:GetBucketLocation", "s3:ListBucket"}),
         lambda s: [f"arn:{s.partition}:s3:::{b}" for b in reach.source_buckets(s.settings)],
         why="01's preflight and 03 list the sources"),
    Rule("SourceObjects", frozenset({"s3:GetObject"}), _source_objects,
         why="03 reads a first record after an 'auto' load that left a column NULL, and a manifest source"),
    # --- S3: `sparkify-nb compact` into your own bucket, when a source is a manifest (reach.compaction_targets) ---
    Rule("CompactIntoYourBucket", frozenset({"s3:PutObject"}), _compaction_targets,
         why="compact writes the manifest [s3] names and its parts beside it"),
    Rule("RemoveStalePartsOfACompaction", frozenset({"s3:DeleteObject"}), lambda s: _compaction_targets(s, parts=True),
         why="compact deletes the parts an earlier compaction left there"),
    Rule("ListThePublicSongsToCompact", frozenset({"s3:ListBucket"}),
         lambda s: [reach.arn(f"s3://{_PUBLIC_SONGS[0]}", s.partition)] if _compaction_targets(s) else [],
         lambda s: {"StringLike": {"s3:prefix": [f"{_PUBLIC_SONGS[1]}*"]}},
         "compact reads the public songs it packs (any other SRC needs your own read on it)"),
    Rule("ReadThePublicSongsToCompact", frozenset({"s3:GetObject"}),
         lambda s: [reach.arn(f"s3://{'/'.join(_PUBLIC_SONGS)}/*", s.partition)] if _compaction_targets(s) else [],
         why="as above: public data, which anyone may read"),
]

BUCKET_ACTIONS = frozenset({
    "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:PutBucketTagging",
    "s3:GetBucketTagging", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutLifecycleConfiguration",
    "s3:GetLifecycleConfiguration"})
# The stack's work bucket (daily loads on redshift: sparkify_nb/infra/workbucket.py).
WORK_BUCKET: list[Rule] = [
    Rule("TheStacksWorkBucket", BUCKET_ACTIONS, lambda s: [_bucket_arn(s)],
         why="01 makes the work bucket (by name: <stack>-work-<account>), keeps it encrypted, private and "
             "expiring; 99 deletes it"),
    Rule("ManifestsIntoTheWorkBucket", frozenset({"s3:PutObject"}),
         lambda s: [f"{_bucket_arn(s)}/{workbucket.MANIFESTS}*"],
         why="03 writes a daily load's COPY manifests there, nowhere else"),
    Rule("EmptyTheWorkBucket", frozenset({"s3:DeleteObject"}), lambda s: [f"{_bucket_arn(s)}/*"],
         why="99 empties the work bucket before deleting it"),
]
