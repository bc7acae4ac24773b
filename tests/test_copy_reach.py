"""What the COPY role may read, worked out once (sparkify_nb/iam/reach.py),
the check 03 makes against it before a COPY (staging/granted.py), and where the
work bucket and a compaction target enter the operator policy and the
boundary: unit tests, no stack (COPY itself allowing and denying these grants
is tests/test_rehearsal_copy.py's, on the rehearsal's endpoint)."""

from __future__ import annotations

import io
import json

import pytest
from botocore.exceptions import ClientError

from sparkify_nb import config
from sparkify_nb.iam import boundary, copy_role as iam, operator as access, reach
from sparkify_nb.infra.roles import manifest_reader
from sparkify_nb.iam.errors import PolicyError
from sparkify_nb.staging import granted
from sparkify_nb.staging.granted import NotGranted

ACCOUNT = "123456789012"


def settings_for(tmp_path, target="redshift", **sources):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": target, **{f"s3.{k}": v for k, v in sources.items()}})


class FakeS3:
    """An S3 client that holds one manifest (``get_object`` only), or none (every read raises)."""

    def __init__(self, manifests: dict[str, list[str]]):
        self.bodies = {uri: json.dumps({"entries": [{"url": u, "mandatory": True} for u in urls]}).encode()
                       for uri, urls in manifests.items()}

    def get_object(self, Bucket, Key):
        body = self.bodies.get(f"s3://{Bucket}/{Key}")
        if body is None:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}},
                              "GetObject")
        return {"Body": io.BytesIO(body)}


def clients_with(manifests):
    s3 = FakeS3(manifests)
    return lambda service: s3


def test_a_manifest_source_grants_the_manifest_and_the_folders_of_the_parts_it_lists(tmp_path):
    manifest = "s3://mine/packed/songs.manifest"
    parts = [f"s3://mine/packed/songs/part-0000{n}-of-00003.json.gz" for n in range(3)]
    settings = settings_for(tmp_path, song_data=manifest)
    got = reach.copy_reach(settings, ACCOUNT, manifest_reader(clients_with({manifest: parts})))
    assert got.record() == {
        "objects": ["s3://mine/packed/songs.manifest", "s3://mine/packed/songs/part-*",
                    "s3://sparkify-work-123456789012/manifests/*", "s3://udacity-dend/log_data/*",
                    "s3://udacity-dend/log_json_path.json"],
        "prefixes": ["s3://mine/packed/songs.manifest", "s3://mine/packed/songs/part-*",
                     "s3://sparkify-work-123456789012/manifests/*", "s3://udacity-dend/log_data*",
                     "s3://udacity-dend/log_json_path.json"]}
    assert got.notes == []
    policy = iam.role_policy(settings, got)
    [read] = [st for st in policy["Statement"] if st["Action"] == "s3:GetObject"]
    assert all(any(reach.matches(r, reach.arn(u)) for r in read["Resource"]) for u in [manifest, *parts])
    assert "arn:aws:s3:::mine/packed/songs.manifest/*" not in read["Resource"]  # the grant issue 18 found


def test_a_manifest_01_cannot_read_yet_grants_the_layout_compact_writes_and_says_so(tmp_path):
    settings = settings_for(tmp_path, song_data="s3://mine/songs.manifest")
    got = reach.copy_reach(settings, ACCOUNT, manifest_reader(clients_with({})))
    assert {"s3://mine/songs.manifest", "s3://mine/songs/part-*"} <= set(got.record()["objects"])
    assert got.notes == ["manifest s3://mine/songs.manifest could not be read (ClientError); granted the layout "
                         "`sparkify-nb compact` writes by default (s3://mine/songs/part-*); run 01 again once it is "
                         "written if its parts lie elsewhere"]


def test_a_manifest_listing_parts_outside_the_source_buckets_stops_01(tmp_path):
    manifest = "s3://mine/songs.manifest"
    settings = settings_for(tmp_path, song_data=manifest)
    with pytest.raises(PolicyError, match=r"manifest s3://mine/songs.manifest lists parts in elsewhere, outside the "
                                         r"source buckets \(mine, udacity-dend\)"):
        reach.copy_reach(settings, ACCOUNT, manifest_reader(clients_with({manifest: ["s3://elsewhere/p.json.gz"]})))


def test_parts_in_many_folders_are_merged_into_their_parents_to_keep_the_policy_small():
    keys = [f"d/{n:02d}/f.json" for n in range(12)]
    assert reach.group_prefixes(keys, max_groups=10) == ["d/*"]
    assert reach.group_prefixes(keys[:2]) == ["d/00/f.json*", "d/01/f.json*"]


def test_the_copy_role_reads_the_work_buckets_manifests_and_nothing_else_of_it_on_redshift_only(tmp_path):
    def work_resources(target):
        policy = iam.role_policy(settings_for(tmp_path, target), reach.copy_reach(settings_for(tmp_path, target),
                                                                                   ACCOUNT))
        return sorted(r for st in policy["Statement"] for r in ([st["Resource"]] if isinstance(st["Resource"], str)
                                                                 else st["Resource"]) if "-work-" in r)

    assert work_resources("redshift") == ["arn:aws:s3:::sparkify-work-123456789012",
                                          "arn:aws:s3:::sparkify-work-123456789012/manifests/*"]
    assert work_resources("local") == []


def test_03_stops_on_an_object_01_did_not_grant_naming_the_source_and_saying_to_run_01_with_it():
    record = {"copy_reach": {"objects": ["s3://mine/songs.manifest", "s3://mine/songs/part-*"],
                             "prefixes": ["s3://mine/songs.manifest", "s3://mine/songs/part-*"]}}
    granted.require(record, "song_data", "s3://mine/songs.manifest",
                    ["s3://mine/songs.manifest", "s3://mine/songs/part-00000-of-00001.json.gz"])
    with pytest.raises(NotGranted) as stopped:
        granted.require(record, "song_data", "s3://mine/other.manifest", ["s3://mine/other.manifest"])
    assert str(stopped.value) == (
        "[s3] song_data = s3://mine/other.manifest: 01 did not let the COPY role read s3://mine/other.manifest (it "
        "may read s3://mine/songs.manifest, s3://mine/songs/part-*), so Redshift's COPY would fail with Access "
        "Denied. Run 01 with this source ([s3] song_data = s3://mine/other.manifest in dwh.cfg, or "
        "SPARKIFY_S3_SONG_DATA in the environment) so that its COPY role may read it, then 03 again")


def test_listing_is_granted_bucket_by_bucket_so_a_readable_object_of_an_unlisted_bucket_stops_03_naming_the_list():
    """COPY needs s3:ListBucket on the object's bucket with its key as s3:prefix, besides s3:GetObject
    (copy-usage_notes-access-permissions.html): a key pattern granted for one bucket lists nothing of another."""
    record = {"copy_reach": {"objects": ["s3://mine/songs/*", "s3://theirs/songs/*"], "prefixes": ["s3://mine/songs*"]}}
    granted.require(record, "song_data", "s3://mine/songs", ["s3://mine/songs/a.json"], listed=["s3://mine/songs"])
    with pytest.raises(NotGranted) as stopped:
        granted.require(record, "song_data", "s3://theirs/songs", ["s3://theirs/songs/a.json"])
    assert str(stopped.value).startswith(
        "[s3] song_data = s3://theirs/songs: 01 did not let the COPY role list s3://theirs/songs/a.json (it may read "
        "s3://mine/songs/*, s3://theirs/songs/*)")


def test_a_record_from_before_copy_reach_stops_03_saying_to_run_01_again():
    with pytest.raises(NotGranted, match=r"holds no copy_reach .* Run 01 again, then 03"):
        granted.require({}, "log_data", "s3://b/log_data", ["s3://b/log_data/x.json"])


def statements_with(policy, action):
    return [st for st in policy["Statement"] if action in st["Action"]]


def test_the_operator_policy_may_put_objects_on_a_compaction_target_only_when_one_is_configured(tmp_path):
    compacting = access.policy(settings_for(tmp_path, song_data="s3://mine/packed/songs.manifest"), ACCOUNT)
    plain = access.policy(settings_for(tmp_path), ACCOUNT)
    assert {st["Sid"]: st["Resource"] for st in statements_with(compacting, "s3:PutObject")} == {
        "CompactIntoYourBucket": ["arn:aws:s3:::mine/packed/songs.manifest", "arn:aws:s3:::mine/packed/songs/part-*"],
        "ManifestsIntoTheWorkBucket": ["arn:aws:s3:::sparkify-work-123456789012/manifests/*"]}
    assert {st["Sid"]: st["Resource"] for st in statements_with(plain, "s3:PutObject")} == {
        "ManifestsIntoTheWorkBucket": ["arn:aws:s3:::sparkify-work-123456789012/manifests/*"]}


def test_what_the_copy_role_may_do_beyond_its_reach_is_named_action_by_action():
    """The check 01's controls table runs on the COPY role (sparkify_nb/infra/controls.py): GetObject only on its
    object patterns, ListBucket only on the buckets of its prefixes, nothing else at all; in the role's partition."""
    granted = {"objects": ["s3://b/log_data/*"], "prefixes": ["s3://b/log_data/"]}
    within = {"s3:GetObject": {"arn:aws:s3:::b/log_data/*"}, "s3:ListBucket": {"arn:aws:s3:::b"}}
    assert iam.beyond_reach(within, granted) == []
    wider = {"s3:GetObject": {"arn:aws:s3:::b/log_data/*", "arn:aws:s3:::b/*"},
             "s3:ListBucket": {"arn:aws:s3:::b", "arn:aws:s3:::other"}, "s3:PutObject": {"arn:aws:s3:::b/log_data/*"}}
    assert iam.beyond_reach(wider, granted) == ["s3:GetObject on arn:aws:s3:::b/*", "s3:ListBucket on arn:aws:s3:::other",
                                                "s3:PutObject on arn:aws:s3:::b/log_data/*"]
    china = {"s3:GetObject": {"arn:aws-cn:s3:::b/log_data/*"}, "s3:ListBucket": {"arn:aws-cn:s3:::b"}}
    assert iam.beyond_reach(china, granted, "aws-cn") == []
    assert iam.beyond_reach(china, granted) == ["s3:GetObject on arn:aws-cn:s3:::b/log_data/*",
                                                "s3:ListBucket on arn:aws-cn:s3:::b"]


def test_a_compaction_lets_the_operator_list_and_read_the_public_songs_and_delete_only_stale_parts(tmp_path):
    """``sparkify-nb compact`` packs the public song_data into your bucket: it lists udacity-dend under song_data
    only (s3:prefix, AmazonS3/latest/userguide/amazon-s3-policy-keys.html), reads those objects, and deletes the
    parts an earlier compaction left (never the manifest). Without a manifest source none of it is granted."""
    compacting = access.policy(settings_for(tmp_path, song_data="s3://mine/packed/songs.manifest"), ACCOUNT)
    by_sid = {st["Sid"]: st for st in compacting["Statement"]}
    listed = by_sid["ListThePublicSongsToCompact"]
    assert (listed["Action"], listed["Resource"], listed["Condition"]) == (
        ["s3:ListBucket"], ["arn:aws:s3:::udacity-dend"], {"StringLike": {"s3:prefix": ["song_data*"]}})
    assert by_sid["ReadThePublicSongsToCompact"]["Resource"] == ["arn:aws:s3:::udacity-dend/song_data/*"]
    assert by_sid["RemoveStalePartsOfACompaction"]["Resource"] == ["arn:aws:s3:::mine/packed/songs/part-*"]
    plain = {st["Sid"] for st in access.policy(settings_for(tmp_path), ACCOUNT)["Statement"]}
    assert not plain & {"ListThePublicSongsToCompact", "ReadThePublicSongsToCompact", "RemoveStalePartsOfACompaction"}


def test_the_operator_policy_makes_and_deletes_the_work_bucket_by_its_name_only(tmp_path):
    policy = access.policy(settings_for(tmp_path), ACCOUNT)
    [work] = [st for st in policy["Statement"] if st["Sid"] == "TheStacksWorkBucket"]
    assert work["Resource"] == ["arn:aws:s3:::sparkify-work-123456789012"]
    assert {"s3:CreateBucket", "s3:DeleteBucket", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
            "s3:PutLifecycleConfiguration", "s3:PutBucketTagging"} <= set(work["Action"])
    [empty] = statements_with(policy, "s3:DeleteObject")
    assert empty["Resource"] == ["arn:aws:s3:::sparkify-work-123456789012/*"]


def test_the_boundary_lets_the_stacks_roles_read_the_work_buckets_manifests_and_no_other_of_its_objects(tmp_path):
    doc = boundary.document(settings_for(tmp_path), ACCOUNT)
    [work] = [st for st in doc["Statement"] if st["Sid"] == "ReadTheWorkBucketsManifests"]
    assert (work["Action"], work["Resource"]) == (["s3:GetObject", "s3:ListBucket"], [
        "arn:aws:s3:::sparkify-work-123456789012", "arn:aws:s3:::sparkify-work-123456789012/manifests/*"])


def test_the_boundary_lets_the_stacks_roles_list_and_read_every_source_bucket(tmp_path):
    """The COPY role's reads are capped by the boundary (access_policies_boundaries.html: only what both allow):
    without this statement, every COPY of the sources is refused on AWS whatever the role's own policy says."""
    settings = settings_for(tmp_path, song_data="s3://ours/song_data", log_data="s3://ours/log_data",
                            log_jsonpath="s3://ours/paths.json")
    [read] = [st for st in boundary.document(settings, ACCOUNT)["Statement"] if st["Sid"] == "ReadTheSourceBuckets"]
    assert (read["Effect"], read["Action"], read["Resource"]) == ("Allow", ["s3:GetObject", "s3:ListBucket"], [
        "arn:aws:s3:::ours", "arn:aws:s3:::udacity-dend", "arn:aws:s3:::ours/*", "arn:aws:s3:::udacity-dend/*"])


def test_a_source_in_a_local_folder_leaves_the_s3_sources_after_it_reached(tmp_path):
    """On ``local`` a source may be a folder while the others are in (the emulator's) S3: the folder is no
    object of the COPY role's, and every S3 source after it is still reached."""
    settings = settings_for(tmp_path, "local", song_data=str(tmp_path / "song_data"),
                            log_data="s3://logs-bucket/log_data", log_jsonpath="s3://logs-bucket/log_json_path.json")
    assert reach.copy_reach(settings).objects == ["s3://logs-bucket/log_data/*",
                                                  "s3://logs-bucket/log_json_path.json"]
