"""The stack's work bucket: where a daily load on ``redshift`` writes the COPY
manifests of the files it stages (:mod:`sparkify_nb.staging.daily`).

Why a bucket of our own: a daily load reads several days' log files and only
the song files not loaded before, which no single key prefix names; a COPY
manifest does ("You can use a manifest to load files from different buckets
or files that do not share the same prefix",
https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html),
and a manifest is an S3 object ("must explicitly reference a single file",
https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-source-s3.html).
The source buckets are not ours to write (the public ``udacity-dend``).

What 01 makes (:func:`ensure_work_bucket`), and the controls row checks (:func:`problems`):

- name ``<stack_name>-work-<account id>``: bucket names are global, the account
  keeps two accounts' stacks apart; at most 45 + 6 + 12 = 63 characters, S3's
  limit, and the stack name's rules keep it within S3's others (3-63 lowercase
  letters, digits, dots, hyphens, begin and end with a letter or digit, no
  ``xn--`` / ``sthree-`` / ``amzn-s3-demo-`` prefix:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html;
  botocore's own check, ``[a-zA-Z0-9.\\-_]{1,255}``, is wider; :func:`bucket_name`,
  and ``config_names`` when the settings load);
- in the Region of the sources: "If the REGION parameter is specified, all
  resources, including a manifest file or multiple Amazon S3 buckets, must be
  located in the specified region" (copy-parameters-data-source-s3.html);
- default encryption SSE-S3 (``PutBucketEncryption``, ``AES256``). New buckets
  get it anyway ("By default, all buckets have a default encryption
  configuration that uses server-side encryption with Amazon S3 managed keys
  (SSE-S3)", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html);
  01 sets it explicitly so that the controls row reads it back and a bucket
  changed by hand (to SSE-KMS with a key the COPY role may not use) is put
  back. COPY reads it as it is: "Don't specify ENCRYPTED if the input files are encrypted using
  Amazon S3 server-side encryption (SSE-KMS or SSE-S3). COPY reads server-side
  encrypted files automatically" (same page);
- public access blocked, all four settings (``PutPublicAccessBlock``:
  ``BlockPublicAcls``, ``IgnorePublicAcls``, ``BlockPublicPolicy``,
  ``RestrictPublicBuckets``, each described in
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html);
- a lifecycle rule expiring every object :data:`EXPIRY_DAYS` days after it was
  written (``PutBucketLifecycleConfiguration``; ``Days`` "must be a non-zero
  positive integer", https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html):
  in a bucket without versioning
  "Amazon S3 queues the object for removal and removes it asynchronously"
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html),
  and storage is not billed after the expiration time even if removal lags
  (https://repost.aws/knowledge-center/s3-lifecycle-rule-delay);
- tagged like everything the stack makes; 99 empties and deletes it.

01 brings an existing bucket back in line (encryption, public access block,
lifecycle) on every run. The IAM action of each call, as each operation's
"Permissions" in the S3 API Reference (and botocore's S3 model) names it:
``CreateBucket`` s3:CreateBucket, ``HeadBucket`` s3:ListBucket,
``GetBucketLocation`` s3:GetBucketLocation, ``Put/GetBucketTagging``
s3:PutBucketTagging / s3:GetBucketTagging, ``Put/GetBucketEncryption``
s3:PutEncryptionConfiguration / s3:GetEncryptionConfiguration,
``Put/GetPublicAccessBlock`` s3:PutBucketPublicAccessBlock /
s3:GetBucketPublicAccessBlock, ``Put/GetBucketLifecycleConfiguration``
s3:PutLifecycleConfiguration / s3:GetLifecycleConfiguration,
``ListObjectsV2`` s3:ListBucket, ``DeleteObjects`` s3:DeleteObject,
``DeleteBucket`` s3:DeleteBucket, ``PutObject`` s3:PutObject
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .. import aws
from ..config import KNOWN_BUCKET_REGIONS, Settings
from ..iam.workbucket import MANIFESTS, bucket_name  # noqa: F401 (named here by 01's callers)
from ..s3uri import parse_s3_uri
from . import sample
from .context import Context
from .errors import ConflictError, InfraError

EXPIRY_DAYS = 3          # a manifest is read once, by the COPY right after it is written
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
LIFECYCLE = {"Rules": [{"ID": "expire-manifests", "Status": "Enabled", "Filter": {"Prefix": ""},
                        "Expiration": {"Days": EXPIRY_DAYS}}]}
_MISSING = ("404", "NoSuchBucket", "NotFound")


def region(settings: Settings, record: dict[str, Any]) -> str:
    """Where the work bucket goes: the sources' Region (COPY's ``REGION`` covers
    the manifest and every file it lists): what 01's preflight found, else
    where the default public bucket is, else ``[general] region``."""
    if record.get("source_region"):
        return record["source_region"]
    buckets = {parse_s3_uri(settings.source_uri(n))[0] for n in ("song_data", "log_data")
               if settings.source_uri(n).startswith("s3://")}
    known = {KNOWN_BUCKET_REGIONS[b] for b in buckets if b in KNOWN_BUCKET_REGIONS}
    return known.pop() if len(known) == 1 and len(buckets) == 1 else settings.region


def find_work_bucket(ctx: Context) -> list[dict[str, Any]]:
    """The work bucket, when it exists and carries this stack's tag (none on ``local``, which needs none)."""
    if ctx.settings.is_local:
        return []
    name = bucket_name(ctx.settings, ctx.caller["Account"])
    tagging = aws.call(ctx.client("s3"), "get_bucket_tagging", missing=("NoSuchTagSet", "NoSuchBucket"), Bucket=name)
    return [{"Name": name, "Tags": tagging["TagSet"]}] if tagging and ctx.is_ours(tagging["TagSet"]) else []


def ensure_work_bucket(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Create the work bucket in the sources' Region (tagged), or claim the
    existing one, then bring encryption, public access block and lifecycle in
    line. Returns ``{"work_bucket": name, "work_bucket_region": region}`` ({} on
    ``local``). Raises :class:`.ConflictError` for a bucket of that name that is
    not ours, :class:`.InfraError` for ours in another Region than the sources."""
    if ctx.settings.is_local:
        return {}
    s3, name = ctx.client("s3"), bucket_name(ctx.settings, ctx.caller["Account"])
    wanted = region(ctx.settings, record)
    try:
        exists = aws.call(s3, "head_bucket", missing=_MISSING, Bucket=name) is not None
    except ClientError as exc:  # 403: the name is another account's
        raise ConflictError(f"S3 bucket {name} exists and is not ours ({aws.error_code(exc)}); choose another "
                            "[general] stack_name") from None
    if not exists:
        config = {} if wanted == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": wanted}}
        try:
            aws.call(s3, "create_bucket", Bucket=name, **config)
        except s3.exceptions.BucketAlreadyExists:
            raise ConflictError(f"S3 bucket {name}: the name is taken by another AWS account; choose another "
                                "[general] stack_name") from None
        aws.call(s3, "put_bucket_tagging", Bucket=name, Tagging={"TagSet": ctx.tags(name)})
        ctx.progress(f"S3 work bucket {name}: created in {wanted} (daily loads' COPY manifests, kept "
                     f"{EXPIRY_DAYS} days)")
    else:
        tagging = aws.call(s3, "get_bucket_tagging", missing=("NoSuchTagSet",), Bucket=name)
        ctx.claim(tagging["TagSet"] if tagging else None, f"S3 bucket {name}", "[general] stack_name")
        from .preflight import bucket_region  # preflight imports the resource table, which imports this

        found = bucket_region(s3, name)
        if found != wanted:
            raise InfraError(f"S3 work bucket {name} is in {found}, the sources in {wanted}: a COPY manifest must "
                             "be in the sources' Region. Run 99_teardown, then 01")
        ctx.progress(f"S3 work bucket {name}: exists")
    for fix in _bring_in_line(s3, name):
        ctx.progress(f"S3 work bucket {name}: {fix}")
    return {"work_bucket": name, "work_bucket_region": wanted}


def _bring_in_line(s3: Any, name: str) -> list[str]:
    out = []
    have = settings_of(s3, name)
    if have["encryption"] != "AES256":
        aws.call(s3, "put_bucket_encryption", Bucket=name, ServerSideEncryptionConfiguration=ENCRYPTION)
        out.append("default encryption set to SSE-S3")
    if not have["public_access_blocked"]:
        aws.call(s3, "put_public_access_block", Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
        out.append("public access blocked")
    if have["expiry_days"] is None or have["expiry_days"] > EXPIRY_DAYS:
        aws.call(s3, "put_bucket_lifecycle_configuration", Bucket=name, LifecycleConfiguration=LIFECYCLE)
        out.append(f"objects expire after {EXPIRY_DAYS} days")
    return out


def settings_of(s3: Any, name: str) -> dict[str, Any]:
    """What the bucket has: ``encryption`` (its default algorithm or None),
    ``public_access_blocked`` (all four settings on), ``expiry_days`` (the
    shortest enabled expiration that applies to every object, or None)."""
    enc = aws.call(s3, "get_bucket_encryption", missing=("ServerSideEncryptionConfigurationNotFoundError",),
                   Bucket=name)
    rules = (enc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    algorithm = next((r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules), None)
    block = aws.call(s3, "get_public_access_block", missing=("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
    config = (block or {}).get("PublicAccessBlockConfiguration", {})
    life = aws.call(s3, "get_bucket_lifecycle_configuration", missing=("NoSuchLifecycleConfiguration",), Bucket=name)
    days = [r["Expiration"]["Days"] for r in (life or {}).get("Rules", [])
            if r.get("Status") == "Enabled" and (r.get("Expiration") or {}).get("Days")
            and not (r.get("Filter") or {}).get("Prefix", r.get("Prefix", "")) and not _narrowed(r.get("Filter"))]
    return {"encryption": algorithm, "public_access_blocked": all(config.get(k) for k in BLOCK_ALL),
            "expiry_days": min(days) if days else None}


def _narrowed(rule_filter: dict[str, Any] | None) -> bool:
    """A filter that limits a rule to some objects (tags, sizes, And): it does not expire them all."""
    return bool(rule_filter) and any(k != "Prefix" for k in rule_filter)


def problems(ctx: Context) -> tuple[str, list[str]]:
    """The work bucket's name and what is wrong with it (empty: it holds what
    the module docstring says): the controls table's row (:mod:`.controls`)."""
    s3, name = ctx.client("s3"), bucket_name(ctx.settings, ctx.caller["Account"])
    if not find_work_bucket(ctx):
        return name, ["no bucket of that name tagged as this stack's"]
    have = settings_of(s3, name)
    out = []
    if have["encryption"] != "AES256":
        out.append(f"default encryption {have['encryption'] or 'none'}, not SSE-S3 (AES256)")
    if not have["public_access_blocked"]:
        out.append("public access not blocked")
    if have["expiry_days"] is None:
        out.append("no lifecycle rule expires its objects")
    elif have["expiry_days"] > EXPIRY_DAYS:
        out.append(f"objects expire after {have['expiry_days']} days, not {EXPIRY_DAYS}")
    return name, out


def delete_work_bucket(ctx: Context, item: dict[str, Any]) -> None:
    """Empty the bucket, then delete it (it has no versioning, so deleted objects leave nothing behind)."""
    sample.delete_bucket(ctx, item)
