"""``sparkify-nb``: a thin command line over the package.

    sparkify-nb run [--target local|redshift] [--rehearse] [--only NAME ...] [-p KEY VALUE ...] [--out DIR]
    sparkify-nb local up|down|status [--json]|dsn [--rehearsal]
    sparkify-nb generate --out DIR|s3://bucket/prefix [--events N --songs N --users N --days N --seed S --gzip]
    sparkify-nb compact SRC DST [--files N] [--manifest URI]   many small JSON files -> N gzip parts + manifest
    sparkify-nb config            print the settings in effect (no secret)
    sparkify-nb iam-policy [--target redshift] [--kind provisioned|serverless] [--access data_api|direct]
                           [--account ID] [--principal ARN] [--boundary | --admin]
                                               the operator's least-privilege IAM policy (JSON), the
                                               permissions boundary of the stack's roles, or (--admin) the
                                               script an administrator runs once to apply both
    sparkify-nb status [--target local|redshift]   what the stack has on the target and its cost so far
    sparkify-nb pause|resume [--target ...]        stop / restart a provisioned cluster's compute billing
    sparkify-nb lease [extend [HOURS]] [--target ...]  when AWS deletes the warehouse; extend: HOURS from now
    sparkify-nb prices [--refresh]  the price table; --refresh: AWS's Price List figures beside it
    sparkify-nb runs [--last]     the run records (runs/<ts>/run.json): one line each, or the last in full
    sparkify-nb report RUN_DIR    04's answers as one HTML file again: RUN_DIR/reports/04_analytics.html
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from . import SparkifyError, config, local, paths, runner, runrecord


# -p names that no notebook declares but that choose the way to run: [cluster] keys, set for every process
# of the run (the kernels read their settings from the environment), e.g. `run --rehearse -p kind serverless`.
RUN_SETTINGS = {"kind": ("cluster", "kind"), "access": ("cluster", "access")}


def _cmd_run(args: argparse.Namespace) -> int:
    params = {k: runner.parameter_value(v) for k, v in (args.param or [])}
    chosen = {RUN_SETTINGS[k]: str(params.pop(k)) for k in list(params) if k in RUN_SETTINGS}
    names = runner.resolve(args.only) if args.only else list(runner.SUITE)
    if args.rehearse and args.target == "local":
        raise config.ConfigError("--rehearse runs the redshift target on the local stack; drop --target local")
    target = "redshift" if args.rehearse else args.target
    if args.policy:
        if not args.rehearse:
            raise config.ConfigError("--policy is for a rehearsal: the policy its operator holds (add --rehearse)")
        os.environ["SPARKIFY_GENERAL_REHEARSAL_POLICY"] = str(args.policy.resolve())  # the run reads it
    settings = config.load(overrides={"general.target": target, "general.rehearsal": args.rehearse or None,
                                      **{f"{section}.{key}": value for (section, key), value in chosen.items()}})
    for (section, key), value in chosen.items():  # validated above; the kernels inherit them
        os.environ[f"SPARKIFY_{section.upper()}_{key.upper()}"] = value
    if settings.on_emulator:
        info = local.up()
        print(f"local stack: PostgreSQL {info['dsn']}  AWS emulator {info['aws_endpoint']}"
              + (f"  Redshift Data API {info['data_api_endpoint']}" if settings.rehearsal else ""))
        if info.get("notice"):
            print(f"local stack: {info['notice']}")
    if settings.rehearsal:
        print("rehearsal: the redshift target's run on the local stack; nothing reaches AWS, nothing is billed "
              "(README, 'Rehearse before you pay')")
        own = {k: Path(v) for k, v in params.items() if k in ("song_data", "log_data") and isinstance(v, str)
               and v and not v.startswith("s3://")}
        if own:  # your own data at the sources on the emulator: 03 COPYs it from there, as from S3 on AWS
            from .staging.sample import put_sources

            put_sources(settings, own)
            params = {k: v for k, v in params.items() if k not in own}
    from .infra.pause import awake

    def say(line: str) -> None:  # flush: lines show as they happen, also through a pipe (make run | tee run.log)
        print(line, flush=True)

    try:
        with awake(settings, names, progress=say):  # a paused cluster is resumed for 02-04 and paused again
            run_dir = runner.run_suite(names, target=target, parameters=params, out=args.out, progress=say,
                                       rehearse=settings.rehearsal)
    finally:
        if not settings.is_local:  # what bills now, after a run that worked or failed
            _print_billing(settings)
    record = json.loads((run_dir / runrecord.RECORD).read_text())
    print(f"\nrun record:         {paths.display_path(run_dir / runrecord.RECORD)} "
          f"({len(record['warnings'])} quality warnings)")
    reports = sorted((run_dir / "reports").glob("*"))
    print(f"executed notebooks: {paths.display_path(run_dir)}/")
    if reports:
        print(f"reports:            {paths.display_path(run_dir / 'reports')}/ ({len(reports)} files: "
              f"{', '.join(p.name for p in reports[:6])}{' ...' if len(reports) > 6 else ''})")
    return 0


def _print_billing(settings: config.Settings) -> None:
    from .infra import billing

    try:
        print(f"\n{billing.billing_line(settings)}")
    except Exception as exc:  # the run's own outcome matters more than this reminder
        print(f"\nwhat bills now: unknown ({type(exc).__name__}); `sparkify-nb status` shows it")


def _cmd_status(args: argparse.Namespace) -> int:
    from .infra import billing

    settings = config.load(overrides={"general.target": args.target})
    for line in billing.status(settings):
        print(line)
    return 0


def _cmd_prices(args: argparse.Namespace) -> int:
    from .infra import price_list

    client = None
    if args.refresh:  # real AWS whatever the target: the emulator has no Price List
        import boto3

        client = boto3.client("pricing", region_name=price_list.PRICE_LIST_REGION)
    for line in price_list.report(client):
        print(line)
    return 0


def _cmd_pause(args: argparse.Namespace) -> int:
    from .infra import billing, pause

    settings = config.load(overrides={"general.target": args.target})
    (pause.pause if args.command == "pause" else pause.resume)(settings)
    print(billing.billing_line(settings))
    return 0


def _cmd_lease(args: argparse.Namespace) -> int:
    from .infra import lease

    settings = config.load(overrides={"general.target": args.target})
    if args.action == "extend":
        lease.extend(settings, args.hours)
    elif args.hours is not None:
        raise SystemExit("sparkify-nb lease: HOURS goes with extend: `sparkify-nb lease extend 4`")
    print(lease.status_line(settings))
    return 0


def _cmd_local(args: argparse.Namespace) -> int:
    if args.action == "up":
        info = local.up()
    elif args.action == "down":
        info = local.down()
    elif args.action == "dsn":
        if getattr(args, "rehearsal", False):
            # the rehearsal database of the configured cluster (made by the Data API endpoint on first use)
            print(local.rehearsal_dsn(config.load().get("cluster", "identifier")))
        else:
            print(local.dsn())
        return 0
    else:
        info = local.status()
    if info.get("notice"):
        print(f"local stack: {info['notice']}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps(info, indent=2))
    else:
        state = "running" if info["running"] else "stopped"
        print(f"local stack: {state}")
        print(f"  PostgreSQL ({info['postgres']['kind']}): {'up' if info['postgres']['running'] else 'down'}"
              f"{'  ' + info['dsn'] if info['dsn'] else ''}")
        print(f"  AWS emulator: {'up  ' + info['aws_endpoint'] if info['emulator']['running'] else 'down'}")
        print(f"  Redshift Data API (rehearsal): "
              f"{'up  ' + info['data_api_endpoint'] if info['data_api']['running'] else 'down'}")
        if info.get("wire_port"):  # the same process: a direct connection's endpoint, Serverless's control plane
            print(f"  PostgreSQL front door (rehearsal, access = direct): up  127.0.0.1:{info['wire_port']}, "
                  f"TLS from the CA in {paths.display_path(local.rehearsal_ca_path())}")
    return 0 if (info["running"] or args.action == "down") else 1


def _cmd_generate(args: argparse.Namespace) -> int:
    import time

    from . import datagen

    if args.out.startswith("s3://"):
        from . import aws
        from .staging.sources import parse_s3_uri

        settings = config.load()
        try:
            bucket, prefix = parse_s3_uri(args.out)
        except ValueError as exc:
            raise datagen.DatagenError(f"--out: {exc}") from None
        sink = datagen.S3Sink(aws.Clients(settings)("s3"), bucket, prefix)
    else:
        sink = datagen.FolderSink(Path(args.out))
    t0 = time.monotonic()
    stats = datagen.generate(sink, events=args.events, songs=args.songs, users=args.users, days=args.days,
                             seed=args.seed, start=args.start, catalog_share=args.catalog_share,
                             gzip_files=args.gzip, progress=(lambda line: print(line, file=sys.stderr))
                             if args.verbose else None)
    seconds = time.monotonic() - t0
    stats["seconds"] = round(seconds, 2)
    stats["events_per_second"] = round(stats["events"] / seconds) if seconds else 0
    print(json.dumps(stats))
    return 0


def _cmd_compact(args: argparse.Namespace) -> int:
    from . import aws
    from .staging import compaction

    settings = config.load()
    uses_aws = any(u.startswith("s3://") for u in (args.src, args.dst, args.manifest or "")) or (
        args.files is None and not settings.is_local)
    clients = aws.Clients(settings) if uses_aws else None
    report = compaction.compact(args.src, args.dst, args.files, manifest=args.manifest, settings=settings,
                                clients=clients, progress=lambda line: print(line, file=sys.stderr))
    print(json.dumps({"objects": report.objects, "records_in": report.records_in, "records_out": report.records_out,
                      "parts": report.parts, "manifest": report.manifest}, indent=2))
    return 0


def _cmd_config(args: argparse.Namespace) -> int:
    settings = config.load()
    print(f"config file: {paths.display_path(settings.source) if settings.source else '(none: defaults)'}")
    for key, value in settings.describe().items():
        print(f"  {key} = {value}")
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    records = runrecord.list_runs(args.base)
    if not records:
        print(f"no run records under {paths.display_path(args.base or paths.project_root() / 'runs')}/")
        return 1
    if args.last:
        print(json.dumps(records[-1], indent=2))
        return 0 if records[-1].get("status") == "ok" else 1
    for record in records:
        print(runrecord.summary_line(record))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .analytics import report

    written = report.render(args.run_dir / report.NOTEBOOK)
    print(f"report to send: {paths.display_path(written)}")
    return 0


def _account_from_credentials(settings: config.Settings) -> str:
    """The account of the credentials in effect (``sts:GetCallerIdentity``, which needs no permission:
    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). Without it the policy
    would name the work bucket ``<stack>-work-*``, which can match another stack's bucket: refused."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:  # a client of its own: the credentials in effect now (real AWS: the policy is for the redshift target)
        account = boto3.client("sts", region_name=settings.region).get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as exc:
        raise config.ConfigError(
            f"iam-policy needs the account: give --account <12-digit id>, or credentials that tell it "
            f"(aws sts get-caller-identity answered: {type(exc).__name__}). Without one the policy would name the "
            f"work bucket {settings.stack_name}-work-*, which can match another stack's bucket") from None
    print(f"account {account} (from your credentials; --account sets another)", file=sys.stderr)
    return account


def _cmd_iam_policy(args: argparse.Namespace) -> int:
    from .iam import admin, boundary, operator

    settings = config.load(overrides={"general.target": args.target, "cluster.kind": args.kind,
                                      "cluster.access": args.access})
    if args.account is None:
        args.account = _account_from_credentials(settings)
    if args.admin:
        print(admin.script(settings, args.account, args.principal), end="")
        return 0
    if args.boundary:
        print(json.dumps(boundary.document(settings, args.account), indent=2))
        return 0
    print(operator.policy_json(settings, args.account, args.principal))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sparkify-nb", description="Sparkify warehouse notebook suite")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens underneath")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the notebooks with papermill (01 -> 04 by default)")
    run.add_argument("--target", choices=config.TARGETS, default=None, help="default: dwh.cfg, else local")
    run.add_argument("--only", nargs="+", metavar="NAME", help="notebooks to run, e.g. 03 04 or 99_teardown")
    run.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"),
                     help="a notebook parameter (JSON values are parsed), or the way to run: kind "
                          "provisioned|serverless, access data_api|direct ([cluster] keys, for every notebook)")
    run.add_argument("--out", type=Path, help="run folder (default runs/<UTC timestamp>/)")
    run.add_argument("--rehearse", action="store_true",
                     help="rehearse the redshift run on the local stack: AWS emulator + local Redshift Data API, "
                          "nothing reaches AWS or bills")
    run.add_argument("--policy", type=Path, metavar="FILE",
                     help="with --rehearse: the IAM policy the rehearsal's operator holds (a JSON policy document or a "
                          "list of them, as your administrator gave them; default: what `sparkify-nb iam-policy` prints)")
    run.set_defaults(func=_cmd_run)

    local = sub.add_parser("local", help="the local stack: embedded PostgreSQL, AWS emulator, Data API endpoint")
    local.add_argument("action", choices=("up", "down", "status", "dsn"))
    local.add_argument("--json", action="store_true", help="machine-readable status")
    local.add_argument("--rehearsal", action="store_true",
                       help="dsn: the rehearsal database of [cluster] identifier, not the local target's")
    local.set_defaults(func=_cmd_local)

    gen = sub.add_parser("generate", help="write Sparkify-format data (deterministic for a seed)")
    gen.add_argument("--out", required=True, help="a folder or s3://bucket/prefix (the target's S3)")
    gen.add_argument("--events", type=int, default=8000, help="app events in all (default 8000)")
    gen.add_argument("--songs", type=int, default=300, help="song files in the catalogue (default 300)")
    gen.add_argument("--users", type=int, default=50, help="listeners (default 50)")
    gen.add_argument("--days", type=int, default=30, help="daily log files (default 30)")
    gen.add_argument("--start", default="2018-11-01", help="first UTC day (default 2018-11-01)")
    gen.add_argument("--seed", type=int, default=42, help="same seed, same bytes (default 42)")
    gen.add_argument("--catalog-share", type=float, default=0.7,
                     help="share of plays whose song is in the catalogue, 0..1 (default 0.7)")
    gen.add_argument("--gzip", action="store_true", help="write .gz files")
    gen.set_defaults(func=_cmd_generate)

    pack = sub.add_parser("compact", help="pack many small JSON files into N gzip parts with a Redshift manifest")
    pack.add_argument("src", help="s3://bucket/prefix or a local folder of JSON files")
    pack.add_argument("dst", help="s3://bucket/prefix or a local folder for the parts")
    pack.add_argument("--files", type=int, default=None,
                      help="parts to write (default: a multiple of the cluster's slices on redshift, "
                           "of the cores on local)")
    pack.add_argument("--manifest", default=None, help="where the manifest goes (default: DST.manifest)")
    pack.set_defaults(func=_cmd_compact)

    runs = sub.add_parser("runs", help="list the run records (runs/<ts>/run.json)")
    runs.add_argument("--last", action="store_true", help="print the last run's record in full (exit 1 if it failed)")
    runs.add_argument("--base", type=Path, default=None, help="folder of the runs (default runs/)")
    runs.set_defaults(func=_cmd_runs)

    rep = sub.add_parser("report", help="write RUN_DIR/reports/04_analytics.html again from the run's executed 04")
    rep.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder, e.g. runs/20181105T020003Z")
    rep.set_defaults(func=_cmd_report)

    cfg = sub.add_parser("config", help="print the settings in effect")
    cfg.set_defaults(func=_cmd_config)

    pol = sub.add_parser("iam-policy", help="print the least-privilege IAM policy for the person running the suite")
    pol.add_argument("--target", choices=("redshift",), default="redshift",
                     help="the policy is for real AWS (the local emulator needs none)")
    pol.add_argument("--kind", choices=("provisioned", "serverless"), default=None, help="default: dwh.cfg")
    pol.add_argument("--access", choices=config.ACCESS_MODES, default=None, help="default: dwh.cfg")
    pol.add_argument("--account", default=None, help="your 12-digit AWS account id (default: the account of your "
                                                     "credentials; refused when none tells it)")
    pol.add_argument("--principal", default=None, help="the IAM role (or user) ARN the policy is for: the one 01's "
                                                       "preflight may simulate (default: the IAM user itself)")
    shown = pol.add_mutually_exclusive_group()
    shown.add_argument("--boundary", action="store_true", help="print the permissions boundary of the stack's roles "
                                                               "instead (what the administrator makes)")
    shown.add_argument("--admin", action="store_true", help="print what the account's administrator applies once: "
                                                            "the boundary, the operator policy and the AWS CLI "
                                                            "commands that create and attach them (a shell script)")
    pol.set_defaults(func=_cmd_iam_policy)
    status = sub.add_parser("status", help="what the stack has on the target (state, nodes, age, cost so far)")
    status.add_argument("--target", choices=config.TARGETS, default=None, help="default: dwh.cfg, else local")
    status.set_defaults(func=_cmd_status)
    lease = sub.add_parser("lease", help="when AWS deletes the warehouse ([cluster] lease_hours); extend [HOURS] "
                                         "moves it to HOURS from now")
    lease.add_argument("action", nargs="?", choices=("show", "extend"), default="show")
    lease.add_argument("hours", nargs="?", type=int, default=None,
                       help="with extend: hours from now (default: [cluster] lease_hours)")
    lease.add_argument("--target", choices=config.TARGETS, default=None, help="default: dwh.cfg, else local")
    lease.set_defaults(func=_cmd_lease)
    prices = sub.add_parser("prices", help="the price table the cost estimates use, with its sources and dates")
    prices.add_argument("--refresh", action="store_true",
                        help="also read AWS's current figures from the Price List API (needs AWS credentials)")
    prices.set_defaults(func=_cmd_prices)
    for verb, what in (("pause", "pause the cluster: compute billing stops, storage stays billed"),
                       ("resume", "resume a paused cluster (compute billing starts again)")):
        cmd = sub.add_parser(verb, help=what)
        cmd.add_argument("--target", choices=config.TARGETS, default=None, help="default: dwh.cfg, else local")
        cmd.set_defaults(func=_cmd_pause)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING if not args.verbose else logging.INFO)
    try:
        return args.func(args)
    except SparkifyError as exc:
        print(f"sparkify-nb: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
