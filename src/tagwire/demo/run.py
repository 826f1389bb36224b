"""``make demo``: serve the fictional publisher site on 127.0.0.1, ingest it, and serve
tagwire on it, so tagwire can be tried without internet."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tagwire import cli
from tagwire.demo.site import PublisherSite, sources_toml


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="tagwire's address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="tagwire's port (8000)")
    parser.add_argument(
        "--site-port",
        type=int,
        default=0,
        help="the publisher site's port (default: any free port)",
    )
    parser.add_argument(
        "--db", default="sqlite:///tagwire-demo.db", help="database URL (sqlite:///tagwire-demo.db)"
    )
    args = parser.parse_args()
    # The site is on loopback, which the address rule refuses unless allowed; one host
    # serves every demo publisher, so no politeness delay is needed.
    os.environ.setdefault("TAGWIRE_ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("TAGWIRE_HOST_DELAY", "0")
    with PublisherSite(port=args.site_port) as site, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "demo-sources.toml"
        sources.write_text(sources_toml(site.base_url), encoding="utf-8")
        print(f"demo publishers at {site.base_url}/", flush=True)
        code = cli.main(["ingest", "--sources", str(sources), "--db", args.db])
        if code:
            return code
        return cli.main(
            [
                "serve",
                "--host",
                args.host,
                "--port",
                str(args.port),
                "--db",
                args.db,
                "--sources",
                str(sources),
            ]
        )


if __name__ == "__main__":
    raise SystemExit(main())
