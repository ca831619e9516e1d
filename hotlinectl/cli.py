"""``hotline``: set up, start, stop and inspect a hotline on one box.

hotline setup     secrets, the Asterisk chroot, config, prompts, database (idempotent)
hotline start     setup, then Asterisk + CRM + FastAGI in the background
hotline stop      stop them
hotline status    what runs, where to call, where to browse
hotline create-admin USERNAME   the first 系统管理员 (prompts for the password)
hotline api-token create USERNAME --label WHAT   a script's personal API token (list, revoke ID)
hotline backup DIR    the database, outbox, site files and recordings (incremental)
hotline restore DIR   bring a backup into this instance (services stopped)
hotline install-units   systemd units for production (enabled and started where systemd runs)
hotline upgrade       backup, Asterisk's updates, restart when no call is up, migrations
hotline purge         delete what is past its retention period (PIPL), audited
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
from pathlib import Path

import yaml

from crm import db
from crm.directory.services import seed_all
from hotline import asterisk, rendering, say, users
from hotline.prompts import build_prompts
from hotline.settings import Settings, config_file, load_settings
from hotlinectl import backup, housekeeping, relocate, services, units, upgrade
from ivr.menu import load_menu

SECRETS = ("ami_secret", "crm_ingest_token", "asterisk_metrics_secret")
# The prompt each music-on-hold folder loops (dialplans/musiconhold.conf): the queue's wait
# message, and 正在为您转接110 while 110 rings.
MOH_PROMPTS = {"moh-emergency": "transfer_emergency"}
MOH_SUFFIXES = (".wav", ".gsm", ".sln")


def ensure_config_file(path: Path) -> None:
    """Create the site's YAML file on first setup and fill in secrets never given a default."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {}
    changed = not path.exists()
    for name in SECRETS:
        if not data.get(name):
            data[name] = secrets.token_urlsafe(24)
            changed = True
    if "agents" not in data:
        # The example agents, each with a generated SIP password for its phone to register.
        data["agents"] = [
            {**agent.model_dump(exclude_none=True), "password": secrets.token_urlsafe(12)}
            for agent in Settings.model_fields["agents"].default_factory()  # type: ignore[misc]
        ]
        changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")
        path.chmod(0o600)


def install_site_moh(settings: Settings, folder: Path) -> None:
    """The site's own music on hold (``moh_dir``), copied with the instance's prompts where
    Asterisk plays it from (dialplans/musiconhold.conf)."""
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    if settings.moh_dir is None:
        return
    for track in sorted(settings.moh_dir.iterdir()):
        if track.suffix in MOH_SUFFIXES:
            shutil.copyfile(track, folder / track.name)


def prepare(settings: Settings) -> None:
    """Everything the services need before they start; cheap when already done."""
    asterisk.build_root(settings)
    # Asterisk's own user (host and chroot) and the services' user, before any file is made.
    users.ensure_users(settings)
    asterisk.mount_state(settings)
    menu = load_menu(settings.ivr_menu_file)
    asterisk.install_config(settings, menu)
    prompts_dir = settings.in_chroot(settings.asterisk_prompts_dir)
    custom = settings.prompts_dir or settings.var_dir / "prompts" / "custom"
    build_prompts(menu.prompts, prompts_dir, custom)
    # Music-on-hold classes (dialplans/musiconhold.conf) play one prompt each, in a loop.
    for folder, prompt in MOH_PROMPTS.items():
        (prompts_dir / folder).mkdir(exist_ok=True)
        if prompt in menu.prompts:
            shutil.copyfile(prompts_dir / f"{prompt}.wav", prompts_dir / folder / f"{prompt}.wav")
    say.build_number_words(settings, custom)
    say.install_number_words(settings)
    install_site_moh(settings, prompts_dir / "moh")
    asterisk.share_prompts(settings)
    db.upgrade(settings.db_url)
    with db.transaction(db.make_sessionmaker(db.make_engine(settings.db_url))) as session:
        seed_all(session, agents=[(a.extension, a.name) for a in settings.agents])
    users.hand_over_var(settings)
    housekeeping.install_logrotate(settings)


def cmd_setup(args: argparse.Namespace) -> int:
    # An instance from before /var/lib/hotline was the default moves there first, once.
    relocate.migrate_legacy_state()
    ensure_config_file(config_file())
    settings = load_settings()
    prepare(settings)
    print(f"配置文件: {config_file()}")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    cmd_setup(args)
    settings = load_settings()
    if services.systemd_running():
        # A real machine: systemd supervises the hotline and starts it at boot.
        units.install_units(settings)
    else:
        services.start_all(settings)
    print_status(settings)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    services.stop_all(load_settings())
    print("热线服务已停止")
    return 0


def print_status(settings: Settings) -> None:
    for name in services.SERVICE_ORDER:
        pid = services.pid_of(settings, name)
        print(f"{name:12s} {'运行中 pid ' + str(pid) if pid else '未运行'}")
    print(f"工单系统 (CRM):  {settings.crm_url}/docs")
    sip = f"sip:{settings.hotline_number}@{settings.bind_address}:{settings.sip_port}"
    print(f"热线 SIP 地址:   {sip}")
    print(f"坐席分机:        {', '.join(a.extension for a in settings.agents)}")


def cmd_models(args: argparse.Namespace) -> int:
    """Speech models: ``hotline models download NAME`` / ``hotline models list``."""
    from asr.cli import main as asr_main

    return asr_main(["models", *args.rest])


def cmd_status(args: argparse.Namespace) -> int:
    print_status(load_settings())
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from crm.accounts.cli import create_admin

    return create_admin(load_settings(), args.username, args.password_stdin)


def cmd_api_token(args: argparse.Namespace) -> int:
    from crm.accounts import cli

    settings = load_settings()
    if args.action == "create":
        return cli.create_api_token(settings, args.username, args.label, args.days)
    if args.action == "revoke":
        return cli.revoke_api_token(settings, args.token_id)
    return cli.list_api_tokens(settings, args.username)


def cmd_backup(args: argparse.Namespace) -> int:
    report = backup.backup(load_settings(), Path(args.folder))
    print(
        f"备份完成：{report.folder}（数据库 {report.database}，站点文件 {report.files} 个，"
        f"录音新增 {report.recordings_copied} 个，已有 {report.recordings_kept} 个）"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = load_settings()
    running = [name for name in services.SERVICE_ORDER if services.pid_of(settings, name)]
    if running:
        print(f"请先停止热线服务（hotline stop）：{', '.join(running)} 仍在运行", file=sys.stderr)
        return 1
    report = backup.restore(settings, Path(args.folder), with_config=args.with_config)
    print(f"恢复完成：数据库 {report.database}，录音 {report.recordings_copied} 个")
    for note in report.notes:
        print(f"  {note}")
    print("运行 hotline start 启动热线")
    return 0


def cmd_install_units(args: argparse.Namespace) -> int:
    for path in units.install_units(load_settings(), Path(args.unit_dir)):
        print(f"已写入 {path}")
    if not services.systemd_running():
        print("systemd 未运行（容器或 CI）：单元已写入但未启用；hotline start 同样会重启崩溃的服务")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    try:
        report = upgrade.upgrade(
            load_settings(),
            packages=not args.no_packages,
            rebuild=args.rebuild,
            wait_seconds=args.wait,
        )
    except upgrade.UpgradeError as exc:
        print(f"升级失败：{exc}", file=sys.stderr)
        return 1
    print(f"升级前备份：{report.backup}")
    print(f"Asterisk：{report.asterisk_before} → {report.asterisk_after}")
    print("Asterisk 已重启" if report.asterisk_restarted else "Asterisk 尚未重启")
    for note in report.notes:
        print(f"  {note}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from crm.retention import purge

    settings = load_settings()
    report = purge(db.make_sessionmaker(db.make_engine(settings.db_url)), settings)
    # Run as root (the timer, the supervised daily run): what SQLite made goes back to the
    # services' user, as at every start.
    users.hand_over_var(settings)
    held = "，".join(f"{why} {count}" for why, count in sorted(report.held.items())) or "无"
    print(
        f"保存期限清理完成：录音 {report.recordings_deleted} 个通话"
        f"（{report.recording_files_deleted} 个文件），IVR 语音 {report.utterances_deleted}，"
        f"转写 {report.transcripts_deleted}，"
        f"话单 {report.cdr_rows_deleted} 行，号码脱敏 {report.numbers_masked}，"
        f"来电人登记 {report.callers_deleted}，日志 {report.log_files_deleted} 个；"
        f"保留（未办结）：{held}"
    )
    return 0


def cmd_housekeeping(args: argparse.Namespace) -> int:
    housekeeping.daily_forever(load_settings())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hotline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (
        ("setup", cmd_setup),
        ("start", cmd_start),
        ("stop", cmd_stop),
        ("status", cmd_status),
    ):
        sub.add_parser(name).set_defaults(fn=fn)
    models = sub.add_parser("models", help="download, verify and list speech models")
    models.add_argument("rest", nargs=argparse.REMAINDER)
    models.set_defaults(fn=cmd_models)
    admin = sub.add_parser("create-admin", help="create a 系统管理员 (no default accounts)")
    admin.add_argument("username")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    admin.set_defaults(fn=cmd_create_admin)
    token = sub.add_parser("api-token", help="personal API tokens for scripts (act as one user)")
    token_sub = token.add_subparsers(dest="action", required=True)
    created = token_sub.add_parser("create", help="a new token (printed once)")
    created.add_argument("username")
    created.add_argument("--label", required=True, help="what the token is for")
    created.add_argument("--days", type=int, default=90, help="days until it expires (90)")
    token_sub.add_parser("list").add_argument("username", nargs="?")
    token_sub.add_parser("revoke").add_argument("token_id", type=int)
    token.set_defaults(fn=cmd_api_token)
    saved = sub.add_parser("backup", help="copy the hotline's state into a folder")
    saved.add_argument("folder")
    saved.set_defaults(fn=cmd_backup)
    back = sub.add_parser("restore", help="bring a backup into this instance")
    back.add_argument("folder")
    back.add_argument(
        "--with-config", action="store_true", help="also restore the configuration file"
    )
    back.set_defaults(fn=cmd_restore)
    install = sub.add_parser("install-units", help="systemd units for production")
    install.add_argument("--unit-dir", default=str(services.UNIT_DIR))
    install.set_defaults(fn=cmd_install_units)
    upgrading = sub.add_parser("upgrade", help="backup, update Asterisk, restart when idle")
    upgrading.add_argument(
        "--wait", type=float, default=600, help="seconds to wait for calls to end (600)"
    )
    upgrading.add_argument("--no-packages", action="store_true", help="restart and migrate only")
    upgrading.add_argument(
        "--rebuild", action="store_true", help="build the Asterisk root again from nothing"
    )
    upgrading.set_defaults(fn=cmd_upgrade)
    sub.add_parser("purge", help="delete what is past its retention period").set_defaults(
        fn=cmd_purge
    )
    sub.add_parser(
        "housekeeping", help="the daily log rotation and purge, for ever (under supervisord)"
    ).set_defaults(fn=cmd_housekeeping)
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args))
    except backup.BackupError as exc:
        print(f"失败：{exc}", file=sys.stderr)
        return 1
    except rendering.ConfigRefused as exc:
        # A site template edited by hand: say where, leave what runs untouched.
        print("Asterisk configuration refused, nothing was installed:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
