"""`newswire`: one console script, one configuration (flags and NEWSWIRE_* variables)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from newswire.config import Settings, settings_parser
from newswire.kafka.connection import Connection


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apache_beam.runners.worker.sdk_worker").addFilter(_FinalizeNoise())
    logging.getLogger("kafka.cluster").addFilter(_ClosingNoise())
    if not getattr(args, "verbose", False):
        # Transient client retries (leader moves, coordinator start-up) are noise to operators;
        # real failures surface as exceptions.
        logging.getLogger("kafka").setLevel(logging.ERROR)
        logging.getLogger().setLevel(logging.ERROR)
    try:
        settings = Settings.from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        return int(args.handler(settings, args, extra) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if getattr(args, "verbose", False):
            raise
        print(f"newswire {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


class _FinalizeNoise(logging.Filter):
    """Prism asks the SDK to finalize bundles that registered no finalizer callback; the SDK
    answers with an error it also logs. Nothing is lost (offsets are committed by the bundles
    that did register), so drop exactly that message."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "not in a finalizable state" not in record.getMessage() and not (
            record.exc_info and "not in a finalizable state" in str(record.exc_info[1])
        )


class _ClosingNoise(logging.Filter):
    """kafka-python logs "Metadata refresh: failed Cancelled" at ERROR when a client closes
    while a refresh is pending: every run printed it twice at its end, and nothing failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith("failed Cancelled")


def _parser() -> argparse.ArgumentParser:
    common = settings_parser()
    common.add_argument("-v", "--verbose", action="store_true", help="log progress and tracebacks")
    parser = argparse.ArgumentParser(prog="newswire", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    broker = command(
        "broker", _broker, "the local single-node KRaft broker and schema registry on loopback"
    )
    broker.add_argument("action", choices=("up", "down", "status"))
    broker.add_argument("--reset", action="store_true", help="with up: start from an empty log")

    flink = command("flink", _flink, "a local Flink cluster on loopback, from PyPI packages")
    flink.add_argument("action", choices=("up", "down", "status"))

    topics = command(
        "topics", _topics, "create the project's topics, or check them against topics.toml"
    )
    topics.add_argument("action", choices=("create", "check"))

    schemas = command("schemas", _schemas, "check schema compatibility, or publish the schemas")
    schemas.add_argument("action", choices=("check", "publish"))
    schemas.add_argument(
        "--dir", type=Path, default=None, help="schemas folder (default: schemas/)"
    )

    replay = command("replay", _replay, "publish the seed pages to the raw topic")
    replay.add_argument("--loop", type=int, default=1, help="deliver the pages N times")
    replay.add_argument("--rate", type=float, default=0.0, help="pages per second (0: unpaced)")
    replay.add_argument(
        "--perturb",
        action="store_true",
        help="edit every delivery after the first as a wire re-delivers a story",
    )
    replay.add_argument(
        "--seeds",
        type=Path,
        dest="seeds_dir",
        default=argparse.SUPPRESS,
        help="folder of pages to replay (default: the seeds_dir setting)",
    )

    run = command("run", _run, "run the pipeline (extra --flags pass through to Beam)")
    run.add_argument(
        "--timeout",
        type=float,
        default=0.0,
        help="streaming: stop the job after this many seconds (0: run until stopped)",
    )

    tail = command("tail", _tail, "print the enriched records on the sink topic")
    tail.add_argument("-n", type=int, default=0, help="only the last N records")
    tail.add_argument("--follow", action="store_true", help="keep printing new records")
    tail.add_argument("--json", action="store_true", help="one JSON object a line")
    tail.add_argument("--dlq", action="store_true", help="read the dead-letter topic instead")

    classify = command("classify", _classify, "offline: parse and classify page files, JSON lines")
    classify.add_argument("files", nargs="+", type=Path)

    evaluation = command(
        "eval", _eval, "precision, recall and F1 of the classifier against a label file"
    )
    evaluation.add_argument("--labels", type=Path, required=True, help="labels (TSV)")
    evaluation.add_argument("pages", nargs="+", type=Path, help="the labelled page files")

    corpus = command(
        "corpus", _corpus, "generate wire pages with known near-duplicate truth (truth.tsv)"
    )
    corpus.add_argument("--out", type=Path, required=True, help="folder to write the pages to")
    corpus.add_argument("--pages", type=int, default=1000, help="how many pages")
    corpus.add_argument("--seed", type=int, default=0, help="random seed (same seed, same pages)")
    corpus.add_argument(
        "--edit-rate", type=float, default=0.7, help="share of stories edited on re-delivery"
    )

    command("demo", _demo, "set up a fresh local broker, replay the seeds, run, show the result")
    return parser


def _broker(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.devtools import stack

    if args.action == "up":
        client = stack.up(settings, reset=args.reset)
        from newswire.kafka.topics import ensure_topics

        created = ensure_topics(client)
        print(
            f"broker ready on {client.bootstrap_servers}"
            + (f"; created {', '.join(created)}" if created else "")
        )
        if client.schema_registry_url:
            print(
                f"schema registry ready on {client.schema_registry_url}; pass it to run and "
                f"tail as --schema-registry-url (or NEWSWIRE_SCHEMA_REGISTRY_URL)"
            )
    elif args.action == "down":
        stopped = stack.down(settings)
        print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    else:
        print(stack.status(settings))
    return 0


def _flink(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.devtools.flink_cluster import LocalCluster

    cluster = LocalCluster(settings)
    if args.action == "up":
        rest = cluster.up()
        print(f"Flink ready on {rest}; run on it with --runner flink --flink-master {rest}")
    elif args.action == "down":
        print("Flink stopped" if cluster.down() else "Flink was not running")
    else:
        print(cluster.status())
    return 0


def _topics(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.kafka.topics import check_topics, ensure_topics

    if args.action == "create":
        created = ensure_topics(settings)
        print("created: " + ", ".join(created) if created else "all topics exist")
        return 0
    problems = check_topics(settings)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("topics match topics.toml" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


def _schemas(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.stages.encode import schemas
    from newswire.stages.encode.encoder import SCHEMAS_DIR

    folder = args.dir or SCHEMAS_DIR
    if args.action == "check":
        problems = schemas.check(folder)
        for problem in problems:
            print(problem, file=sys.stderr)
        released = schemas.releases(folder)
        against = released[-1].name if released else "no release"
        print(
            f"schemas compatible with {against}"
            if not problems
            else f"{len(problems)} incompatibilities"
        )
        if settings.schema_registry_url:
            from newswire.kafka.registry import compatibility_problems

            live = compatibility_problems(settings, folder)
            for problem in live:
                print(problem, file=sys.stderr)
            print(
                f"schemas compatible with the latest versions in {settings.schema_registry_url}"
                if not live
                else f"{len(live)} subjects in the registry would refuse them"
            )
            problems = [*problems, *live]
        return 1 if problems else 0

    from newswire.kafka.schemas_topic import publish_schemas

    published = publish_schemas(Connection.of(settings), settings.schemas_topic, folder)
    print(f"published {published} schemas to {settings.schemas_topic}")
    return 0


def _replay(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.devtools.replay import replay, seed_files

    producer = Connection.of(settings).producer()
    try:
        sent = replay(
            producer,
            settings.raw_topic,
            seed_files(settings.seeds_dir),
            args.loop,
            args.rate,
            args.perturb,
        )
    finally:
        producer.close()
    print(f"replayed {sent} pages to {settings.raw_topic}", file=sys.stderr)
    return 0


def _run(settings: Settings, args: argparse.Namespace, extra: list[str]) -> int:
    from newswire import job

    started = time.monotonic()
    tree_peak = job.run(settings, extra, timeout_s=args.timeout)
    # The job's processes where they were watched, else this one's.
    peak_mb = max(tree_peak / 2**20, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(
        f"pipeline finished in {time.monotonic() - started:.1f}s, peak memory {peak_mb:.0f} MB",
        file=sys.stderr,
    )
    return 0


def _tail(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.kafka import tail
    from newswire.kafka.registry import registry_lookup
    from newswire.stages.encode.records import to_json

    topic = settings.dlq_topic if args.dlq else settings.sink_topic
    pairs = tail.read_topic(Connection.of(settings), topic, follow=args.follow)
    decode = tail.decode_dead_letters if args.dlq else tail.decode_articles
    decoded = decode(pairs, registry_lookup(settings))
    if args.follow or args.json or args.dlq:
        for record in decoded:
            if args.dlq and not args.json:
                where = f"{record['topic']}/{record['partition']}@{record['offset']}"
                print(f"{record['reason']:<12} {where}  {record['detail']}")
            else:
                print(to_json(record), flush=True)
        return 0
    records = list(decoded)
    shown = records[-args.n :] if args.n else records
    print(tail.table(shown))
    print(
        f"\n{len(records)} records on {topic}"
        f" ({sum(r['kind'] == 'article' for r in records)} articles,"
        f" {sum(r['kind'] == 'teaser' for r in records)} teasers)"
    )
    return 0


def _classify(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.core.errors import Rejected
    from newswire.devtools.files import read_items
    from newswire.stages.classify.classifier import Classifier
    from newswire.stages.dedup.stories import StoryIndex
    from newswire.stages.encode.records import article_record, to_json

    classifier = Classifier.from_data(nlp_model=settings.nlp_model)
    stories = StoryIndex()
    failed = 0
    for offset, path in enumerate(args.files):
        try:
            items = read_items(path, settings.max_page_bytes, offset)
        except Rejected as exc:
            failed += 1
            print(
                json.dumps({"source": path.name, "error": exc.reason, "detail": exc.detail}),
                file=sys.stderr,
            )
            continue
        now = int(time.time() * 1000)
        for item in classifier.classify_items(items):
            story = stories.assign(item.article_id, item.article, item.page.replayed_at_ms)
            record = article_record(dataclasses.replace(item, story=story), now)
            record.pop("body")
            print(to_json(record))
    return 1 if failed else 0


def _eval(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.devtools import evaluate
    from newswire.devtools.files import read_file_page
    from newswire.stages.classify.classifier import Classifier
    from newswire.stages.parse.page import parse_page

    labels = evaluate.read_labels(args.labels)
    pages = {path.name: path for path in args.pages}
    missing = sorted({item.file for item in labels} - pages.keys())
    if missing:
        raise SystemExit(f"newswire eval: labelled pages not given: {', '.join(missing)}")
    parsed = {
        name: parse_page(read_file_page(path, settings.max_page_bytes).text)
        for name, path in pages.items()
    }
    articles = [evaluate.find_article(item, parsed[item.file]) for item in labels]
    classifier = Classifier.from_data(nlp_model=settings.nlp_model)
    started = time.monotonic()
    results = classifier.classify_many(articles)
    elapsed = time.monotonic() - started
    print(
        f"{len(labels)} labelled items from {len(parsed)} pages, nlp model"
        f" {classifier.nlp_model}, classified in {elapsed:.2f}s"
    )
    for task in evaluate.TASKS:
        pairs = [
            (item.gold(task), getattr(result, task))
            for item, result in zip(labels, results, strict=True)
        ]
        print(evaluate.format_report(task, evaluate.score(pairs)))
        print(evaluate.format_confusions(task, evaluate.confusions(pairs)))
    predictions = [{task: getattr(r, task) for task in evaluate.TASKS} for r in results]
    print(evaluate.format_worst(evaluate.worst_pages(evaluate.misses(labels, predictions))))
    return 0


def _corpus(settings: Settings, args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.devtools import corpus
    from newswire.devtools.replay import seed_files

    seeds = {path.name: path.read_text("utf-8") for path in seed_files(settings.seeds_dir)}
    pages = corpus.generate(seeds, args.pages, seed=args.seed, edit_rate=args.edit_rate)
    written = corpus.write(args.out, _progress(pages, args.pages, "pages"))
    print(f"wrote {written} pages and truth.tsv to {args.out}", file=sys.stderr)
    return 0


def _progress(items, total: int, what: str):
    from newswire.progress import Progress

    progress = Progress(total, what)
    for item in items:
        yield item
        progress.step()


def _demo(settings: Settings, _args: argparse.Namespace, _extra: list[str]) -> int:
    from newswire.devtools import demo

    return demo.run(settings)


if __name__ == "__main__":
    sys.exit(main())
