"""The ``tagwire`` command: ingest | serve | worker | scheduler | tags | sources | config."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from tagwire import __version__, config, service, sources
from tagwire.errors import StoreError, TagwireError
from tagwire.store import FeedRecord, Store
from tagwire.types import PassReport

# Exit codes: 0 done; 1 a runtime error (a database that cannot be opened, a port that
# cannot be bound, a bad file, standard output closed early); 2 a usage error (argparse:
# an unknown option, a number out of range); 130 interrupted.
EXIT_ERROR = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        except SystemExit:  # --help, --version, usage errors: their output is flushed too
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
        return code
    except BrokenPipeError:
        # standard output was closed early (`tagwire sources | head`): end quietly, as the
        # Python docs advise (signal module, "Note on SIGPIPE"): what is still buffered
        # goes to devnull, not to a second BrokenPipeError when Python flushes at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if not args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = config.load()
        if getattr(args, "db", None):
            settings = settings.replace(database_url=args.db)
        result: int = args.handler(args, settings)
        return result
    except TagwireError as error:
        _fail(str(error))
    except sa_exc.SQLAlchemyError as error:  # a database failing after it was opened
        _fail(f"database error: {_db_reason(error)}")
    except BrokenPipeError:
        raise
    except OSError as error:  # a file that cannot be read or written
        what = error.strerror or str(error)
        _fail(f"{error.filename}: {what}" if error.filename else what)
    except KeyboardInterrupt:
        return 130
    return EXIT_ERROR


def _fail(message: str) -> None:
    """Print a runtime error on one line of standard error."""
    print(f"tagwire: {_one_line(message)}", file=sys.stderr, flush=True)


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line (the message and where help is), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _positive(text: str) -> int:
    """An argparse type: a whole number of 1 or more (a limit, an id)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _not_negative(text: str) -> int:
    """An argparse type: 0 or more (a count where 0 means "the default" or "none")."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _port(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {value}")
    return value


def _shown(url: str) -> str:
    """A database URL as it may be printed: without its password."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def _db_reason(error: BaseException) -> str:
    """The driver's own words for a database error, on one line."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        text = str(error.orig)
    elif isinstance(error, sa_exc.SQLAlchemyError) and error.args:
        text = str(error.args[0])  # without SQLAlchemy's "(Background on this error ...)"
    else:
        text = str(error)
    return _one_line(text) or type(error).__name__


def _sqlite_hint(url: str) -> str:
    """Why a SQLite file cannot be opened, when its directory tells: missing or read-only."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        return ""
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return ""
    if path.startswith("file:"):
        return ""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f" (no directory {folder})"
    if os.path.isdir(path):
        return f" ({path} is a directory)"
    if not os.access(folder, os.W_OK):
        return f" (directory {folder} is not writable)"
    return ""


def _open_store(url: str) -> Store:
    """The store at ``url``, opened and migrated; a database that cannot be opened (a bad
    URL, a SQLite file in a missing or read-only directory, a PostgreSQL server that does
    not answer, a schema that cannot be migrated) is a ``StoreError`` of one line."""
    try:
        return Store(url)
    except StoreError:
        raise
    except TagwireError as error:  # make_engine's ConfigError: an unsupported URL
        raise StoreError(f"cannot open the database {_shown(url)}: {error}") from error
    except ValueError as error:  # make_url: a port that is not a number, say
        raise StoreError(f"cannot open the database {url}: not a valid URL ({error})") from error
    except sa_exc.SQLAlchemyError as error:
        reason = _db_reason(error) + _sqlite_hint(url)
        raise StoreError(f"cannot open the database {_shown(url)}: {reason}") from error


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound before the server says it serves; an address
    that cannot be bound (in use, not this machine's, a name that does not resolve) is a
    one-line error. Bound as uvicorn binds its own (SO_REUSEADDR, IPv6 for an address
    with a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except (OSError, OverflowError) as error:
        sock.close()
        reason = getattr(error, "strerror", None) or str(error)
        raise TagwireError(f"cannot listen on {host}:{port}: {reason}") from error
    return sock


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tagwire",
        description="News by hashtag: read publishers' feeds, keep one clean "
        "copy of each article, tag people, organisations and places, serve topic pages.",
    )
    parser.add_argument("--version", action="version", version=f"tagwire {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    db_help = (
        "database URL (default: TAGWIRE_DATABASE_URL, else sqlite:///tagwire.db in the "
        "working directory); postgresql://... selects PostgreSQL"
    )

    ingest = sub.add_parser(
        "ingest",
        help="add/update a sources file, then one pass over it",
        description="Add or update the sources of FILE in the database, "
        "then fetch, process and store one pass over them. Exits 0 when "
        "the pass completes; a publisher's failure is stored on its "
        "source and reported, never fatal.",
    )
    ingest.add_argument(
        "--sources", required=True, metavar="FILE", help="sources file: TOML ([[sources]]) or OPML"
    )
    ingest.add_argument("--db", metavar="URL", help=db_help)
    ingest.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )
    ingest.set_defaults(handler=_ingest)

    serve = sub.add_parser(
        "serve",
        help="the web app and API, polling sources",
        description="Serve the web pages, the JSON API (/api/v1, docs at "
        "/docs) and Atom feeds; poll every enabled source in the background "
        "unless --no-poll.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    serve.add_argument("--db", metavar="URL", help=db_help)
    serve.add_argument(
        "--sources", metavar="FILE", help="add/update this sources file's sources before serving"
    )
    serve.add_argument("--no-poll", action="store_true", help="serve only; do not poll")
    serve.set_defaults(handler=_serve)

    worker = sub.add_parser(
        "worker",
        help="a Celery worker: polls feeds, fetches pages, processes articles",
        description="Run tasks from the broker (TAGWIRE_BROKER_URL, else TAGWIRE_REDIS_URL): "
        "poll a feed, fetch a page, process an article (extract, dedup, entities, story, "
        "category, store). Any number may run, on any machine, on one PostgreSQL database.",
    )
    worker.add_argument("--db", metavar="URL", help=db_help)
    worker.add_argument(
        "--concurrency", type=_not_negative, default=0, help="tasks at once (default: one per core)"
    )
    worker.add_argument(
        "--pool",
        choices=("prefork", "solo", "threads"),
        default="prefork",
        help="prefork (processes, for processing), threads (for fetching) or solo (one task)",
    )
    worker.add_argument(
        "--queues",
        default="tagwire.fetch,tagwire.process",
        help="queues to take tasks from (default both: tagwire.fetch, tagwire.process)",
    )
    worker.add_argument("--beat", action="store_true", help="also run the scheduler in this worker")
    worker.set_defaults(handler=_worker)

    scheduler = sub.add_parser(
        "scheduler",
        help="queue a poll task for each due feed (one leads among many)",
        description="Queue a poll task for each feed that is due; several may run, one leads "
        "(a lock in Redis), and no feed is queued twice for one due time.",
    )
    scheduler.add_argument("--db", metavar="URL", help=db_help)
    scheduler.add_argument(
        "--sources", metavar="FILE", help="add/update this sources file's sources first"
    )
    scheduler.set_defaults(handler=_scheduler)

    tags = sub.add_parser(
        "tags",
        help="the most active hashtags",
        description="Print the hashtags with the most articles.",
    )
    tags.add_argument("--limit", type=_positive, default=20, help="how many (20)")
    tags.add_argument("--db", metavar="URL", help=db_help)
    tags.set_defaults(handler=_tags)

    src = sub.add_parser(
        "sources",
        help="list, add, import, export, pause, resume or remove sources",
        description="Without an action: list the sources with their health (last success, "
        "last error, articles a day, next check).",
    )
    src.add_argument("--db", metavar="URL", help=db_help)
    src.set_defaults(handler=_sources)
    actions = src.add_subparsers(metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="find a site's feeds and add it",
        description="Find the feeds of the site at URL (<link rel=alternate>, the usual feed "
        "addresses, news sitemaps named in robots.txt) and add it as a source.",
    )
    add.add_argument("url", metavar="URL", help="the publisher's site (or a feed)")
    add.add_argument("--name", help="the source's name (default: the site's own)")
    add.add_argument("--country", help="ISO 3166-1 alpha-2 code")
    add.add_argument("--region", help="africa, americas, asia, europe, middle-east or oceania")
    add.add_argument("--language", help="language code (default: the page's)")
    add.add_argument("--category", help="one of the 17 category labels, for a one-topic site")
    add.add_argument("--db", metavar="URL", help=db_help)
    add.set_defaults(handler=_sources_add)
    imp = actions.add_parser(
        "import",
        help="add the sources of a file",
        description="Add or update the sources of "
        "an OPML or TOML file (no fetching; the poller or `ingest` does that).",
    )
    imp.add_argument("file", metavar="FILE", help="OPML or TOML sources file")
    imp.add_argument("--db", metavar="URL", help=db_help)
    imp.set_defaults(handler=_sources_import)
    exp = actions.add_parser(
        "export",
        help="print the sources as OPML",
        description="Print every enabled source "
        "as OPML 2.0 (country, region, language and category as outline attributes).",
    )
    exp.add_argument("--db", metavar="URL", help=db_help)
    exp.set_defaults(handler=_sources_export)
    for action, what in (
        ("pause", "stop polling a source until it is resumed"),
        ("resume", "poll a paused source again, at once"),
        ("remove", "stop polling a source for good (its articles stay)"),
    ):
        one = actions.add_parser(action, help=what, description=what[0].upper() + what[1:] + ".")
        one.add_argument(
            "id", type=_positive, metavar="ID", help="the source's id (`tagwire sources`)"
        )
        one.add_argument("--db", metavar="URL", help=db_help)
        one.set_defaults(handler=_sources_state, action=action)

    cur = sub.add_parser(
        "curate",
        help="merge, split, rename or block tags from a curation file",
        description="Apply a curation file (TOML: [[merge]] tags = [...], [[rename]] tag, "
        "name, [[block]] tags = [...], [[split]] tag, forms = [...], name) to every stored "
        "article.",
    )
    cur.add_argument("file", metavar="FILE", help="the curation file")
    cur.add_argument("--db", metavar="URL", help=db_help)
    cur.set_defaults(handler=_curate)

    db = sub.add_parser(
        "db",
        help="database maintenance: migrate, copy",
        description="Bring a database to the current schema, or copy a whole installation "
        "to another database (SQLite to PostgreSQL, say).",
    )
    db_actions = db.add_subparsers(metavar="ACTION", required=True)
    migrate = db_actions.add_parser(
        "migrate",
        help="apply the schema migrations not yet applied",
        description="Apply "
        "the schema migrations a database lacks (every command also does this on start).",
    )
    migrate.add_argument("--db", metavar="URL", help=db_help)
    migrate.set_defaults(handler=_db_migrate)
    copy = db_actions.add_parser(
        "copy",
        help="copy everything to another database, verified",
        description="Copy every table from one database to another whose store holds no "
        "articles, in one transaction, then compare both sides table by table (row counts "
        "and checksums).",
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL")
    copy.add_argument("--to", dest="target", required=True, metavar="URL")
    copy.set_defaults(handler=_db_copy)

    arc = sub.add_parser(
        "import",
        help="import an archive of articles (JSON lines), deduplicated and grouped",
        description="Bring an archive of articles (JSON lines: url, title, text, source, "
        "published_at, and optionally summary, author, image, category, language, mentions) "
        "into the store in batches: each article folded into its near-duplicates and grouped "
        "into its story as ingest does. Run it while no ingest writes to the same store. "
        "Bad lines are reported and skipped.",
    )
    arc.add_argument("file", metavar="FILE", help="the archive, one JSON object a line")
    arc.add_argument("--db", metavar="URL", help=db_help)
    arc.add_argument(
        "--workers", type=_not_negative, default=1, help="processes for the text work (0: none)"
    )
    arc.set_defaults(handler=_import)
    out = sub.add_parser(
        "export",
        help="write every stored article as an archive (JSON lines) that import reads",
        description="Write every stored article, in the order it was stored, to standard "
        "output as JSON lines in the format `tagwire import` reads (mentions included).",
    )
    out.add_argument("--db", metavar="URL", help=db_help)
    out.set_defaults(handler=_export)

    cfg = sub.add_parser(
        "config",
        help="print the effective settings",
        description="Print every setting, its value and where it came from "
        "(env, file named by TAGWIRE_CONFIG, or default).",
    )
    cfg.set_defaults(handler=_config)
    return parser


def _ingest(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.ingest.pipeline import ingest

    store = _open_store(settings.database_url)
    source_ids = store.upsert_sources(sources.load(args.sources))
    feed_list = store.feeds(source_ids=source_ids)
    progress = _progress(len(feed_list), enabled=not args.no_progress)

    def done(feed: FeedRecord, outcome: str) -> None:
        if progress is not None:
            progress.set_postfix_str(f"{feed.source_name}: {outcome}", refresh=False)
            progress.update(1)

    try:
        report = asyncio.run(ingest(store, settings, feed_list, done))
    finally:
        if progress is not None:
            progress.close()
        store.close()
    _print_report(report)
    return 0


def _progress(total: int, enabled: bool) -> Any:
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="feed", desc="ingest", file=sys.stderr)


def _print_report(report: PassReport) -> None:
    print(
        f"{report.sources} sources: {report.feeds_ok} feeds read, "
        f"{report.feeds_unchanged} unchanged, {report.feeds_failed} failed; "
        f"{report.articles_new} new articles, {report.articles_duplicate} duplicates folded, "
        f"{report.articles_known} already known"
    )
    for name, message in report.errors:
        print(f"  failed: {name}: {message}")


def _serve(args: argparse.Namespace, settings: config.Config) -> int:
    import uvicorn

    from tagwire.web.app import create_app
    from tagwire.web.live import Broadcaster
    from tagwire.web.server import PROTOCOL
    from tagwire.workers.scheduler import Poller

    # The port first: a busy or invalid address is one line before anything is printed
    # (uvicorn would print its own error after "serving", or wait on a bad port).
    listener = _listen(args.host, args.port)
    try:
        store = _open_store(settings.database_url)
    except BaseException:
        listener.close()
        raise
    try:
        if args.sources:
            store.upsert_sources(sources.load(args.sources))
        live = Broadcaster()
        on_article, relay = _live_updates(store, settings, live)
        poller = None if args.no_poll else Poller(store, settings, on_article=on_article)
        jobs = [job for job in (relay, poller) if job is not None]

        def start() -> None:
            for job in jobs:
                job.start()

        def stop() -> None:
            for job in reversed(jobs):
                job.stop()

        app = create_app(store, on_start=start, on_stop=stop, settings=settings, live=live)
        print(
            f"tagwire {__version__} serving http://{args.host}:{args.port}/ "
            f"(database {_shown(settings.database_url)}; "
            f"polling {'off' if args.no_poll else 'on'})",
            flush=True,
        )
        # tagwire's protocol: TCP_NODELAY on every connection, whatever socket uvicorn binds
        server = uvicorn.Server(
            uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", http=PROTOCOL)
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: a normal stop, as uvicorn.run
            server.run(sockets=[listener])
    finally:
        listener.close()
        store.close()
    if not server.started:  # the app's startup failed; uvicorn logged why
        return EXIT_ERROR
    return 0


def _live_updates(store: Store, settings: config.Config, live: Any) -> tuple[Any, Any]:
    """The poller's hook for new articles, and the relay that feeds this process's
    broadcaster: in-process alone; through Redis when TAGWIRE_REDIS_URL is set, so that
    every web process sees the articles any process stores."""
    from tagwire.announce import redis_announcer
    from tagwire.web.live import RedisRelay, article_publisher

    publish = article_publisher(store, live)
    url = settings["TAGWIRE_REDIS_URL"]
    if not url:
        return publish, None
    import redis

    prefix = str(settings["TAGWIRE_REDIS_PREFIX"])
    announce = redis_announcer(redis.Redis.from_url(str(url)), prefix)
    return announce, RedisRelay(str(url), prefix, publish)


def _worker(args: argparse.Namespace, settings: config.Config) -> int:
    import os
    import subprocess

    from tagwire.workers import runtime
    from tagwire.workers.celery_app import make_app

    _open_store(settings.database_url).close()  # migrated once here, not by every pool process
    runtime.configure(settings)
    app = make_app(settings)
    scheduler = None
    if args.beat:
        # A process of its own, not a thread: the worker forks its pool processes, and a
        # fork taken while a thread holds a lock (logging, a socket) can hang the child.
        command = [sys.executable, "-m", "tagwire.cli", "scheduler"]
        scheduler = subprocess.Popen(command + (["--db", args.db] if args.db else []))
    argv = ["worker", f"--pool={args.pool}", f"--queues={args.queues}", "--without-gossip"]
    argv += ["--without-mingle", f"--loglevel={'INFO' if args.verbose else 'WARNING'}"]
    argv.append(f"--concurrency={args.concurrency or os.cpu_count() or 1}")
    print(f"tagwire {__version__} worker (database {_shown(settings.database_url)})", flush=True)
    try:
        app.worker_main(argv)
    finally:
        if scheduler is not None:
            scheduler.terminate()  # SIGTERM: it gives up the lead before it exits
            scheduler.wait(30)
    return 0


def _scheduler(args: argparse.Namespace, settings: config.Config) -> int:
    import signal
    import threading

    from tagwire.workers.celery_app import make_app

    if args.sources:
        store = _open_store(settings.database_url)
        try:
            store.upsert_sources(sources.load(args.sources))
        finally:
            store.close()
    print(f"tagwire {__version__} scheduler (database {_shown(settings.database_url)})", flush=True)
    stop = threading.Event()
    # SIGTERM (systemd, docker stop) ends the loop, which gives up the lead at once: a
    # standby scheduler takes over now rather than when the lease runs out.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _run_scheduler(make_app(settings), settings, stop)
    return 0


def _run_scheduler(app: Any, settings: config.Config, stop: Any) -> None:
    import redis

    from tagwire.workers.beat import Scheduler
    from tagwire.workers.queue import TaskQueue

    if not settings["TAGWIRE_REDIS_URL"]:
        raise TagwireError("the scheduler needs TAGWIRE_REDIS_URL (its lock lives there)")
    client = redis.Redis.from_url(str(settings["TAGWIRE_REDIS_URL"]), socket_timeout=10)
    store = _open_store(settings.database_url)
    try:
        Scheduler(store, settings, TaskQueue(app), client).run(stop)
    finally:
        store.close()


def _tags(args: argparse.Namespace, settings: config.Config) -> int:
    store = _open_store(settings.database_url)
    for tag in service.top_tags_json(store, args.limit):
        print(f"#{tag['slug']:<32} {tag['kind']:<13} {tag['articles']:>6}")
    return 0


def _sources(args: argparse.Namespace, settings: config.Config) -> int:
    store = _open_store(settings.database_url)
    listed = service.sources_json(store)
    if not listed:
        print("no sources yet: `tagwire sources add URL` or `tagwire sources import FILE`")
        return 0
    print(f"{'id':>4} {'name':<32} {'region':<11} {'articles':>8} {'a day':>6}  state")
    for s in listed:
        if s["paused"]:
            status = f"paused: {s['paused_reason']}"
        else:
            status = s["last_error"] or ("ok" if s["last_success_at"] else "not checked yet")
        print(
            f"{s['id']:>4} {s['name'][:32]:<32} {s['region'] or '':<11} "
            f"{s['articles']:>8} {s['items_per_day']:>6}  {status}"
        )
    return 0


def _sources_add(args: argparse.Namespace, settings: config.Config) -> int:
    store = _open_store(settings.database_url)
    added, found = asyncio.run(
        service.add_source(
            store,
            settings,
            args.url,
            name=args.name,
            country=args.country,
            region=args.region,
            language=args.language,
            category=args.category,
        )
    )
    print(f"source {added['id']}: {added['name']} ({added['url']}), found by {found.how}:")
    for feed in found.feeds:
        print(f"  {feed}")
    return 0


def _sources_import(args: argparse.Namespace, settings: config.Config) -> int:
    store = _open_store(settings.database_url)
    ids = store.upsert_sources(sources.load(args.file))
    print(f"{len(ids)} sources added or updated from {args.file}")
    return 0


def _sources_export(args: argparse.Namespace, settings: config.Config) -> int:
    opml = service.export_sources(_open_store(settings.database_url))
    # A line at a time: with unbuffered output (PYTHONUNBUFFERED, common in containers) one
    # write of the whole text that a closed pipe cuts short returns a count, not an error,
    # and the rest would be lost without a word; the next line's write reports the pipe.
    for line in opml.splitlines(keepends=True):
        sys.stdout.write(line)
    return 0


def _sources_state(args: argparse.Namespace, settings: config.Config) -> int:
    store = _open_store(settings.database_url)
    {"pause": store.pause_source, "resume": store.resume_source, "remove": store.remove_source}[
        args.action
    ](args.id)
    print(f"source {args.id}: {args.action}d")
    return 0


def _curate(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire import curation

    store = _open_store(settings.database_url)
    for line in service.apply_curation(store, curation.load(args.file)) or ["nothing to do"]:
        print(line)
    return 0


def _import(args: argparse.Namespace, settings: config.Config) -> int:
    from datetime import timedelta
    from pathlib import Path

    from tagwire.backfill import run_file

    store = _open_store(settings.database_url)
    try:
        report = run_file(
            store,
            Path(args.file),
            workers=args.workers,
            dedup_window=timedelta(days=float(settings["TAGWIRE_DEDUP_WINDOW_DAYS"])),
            progress=lambda r: print(r.line(), file=sys.stderr, flush=True),
        )
    finally:
        store.close()
    for problem in report.problems[:20]:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.line())
    return 0


def _export(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.backfill import export_archive

    store = _open_store(settings.database_url)
    try:
        count = export_archive(store, sys.stdout)
    finally:
        store.close()
    print(f"{count} articles exported", file=sys.stderr)
    return 0


def _db_migrate(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.store.migrations import current_version

    store = _open_store(settings.database_url)  # opening migrates
    with store.engine.connect() as conn:
        version = current_version(conn)
    print(f"{settings.database_url}: schema version {version} (up to date)")
    store.close()
    return 0


def _db_copy(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.store.copy import copy_store

    for url in (args.source, args.target):  # each one's own error, with its URL
        _open_store(url).close()
    report = copy_store(args.source, args.target)
    for table in report:
        print(f"{table.name:<20} {table.rows:>9} rows  sha256 {table.checksum[:16]}  same on both")
    print(f"copied {sum(t.rows for t in report)} rows; every table checked")
    return 0


def _config(args: argparse.Namespace, settings: config.Config) -> int:
    for setting in config.SETTINGS:
        value = settings[setting.name]
        if setting.name == "TAGWIRE_ADMIN_TOKEN" and value:
            value = "(set)"
        shown = ",".join(value) if isinstance(value, tuple) else value
        print(
            f"{setting.name}={shown if shown is not None else ''}"
            f"    # {settings.origins[setting.name]}: {setting.help}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
