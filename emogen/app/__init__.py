"""The Gradio app (``emogen demo``). Importing this package does not import gradio; the UI lives in
:mod:`emogen.app.ui` and the functions behind it in :mod:`emogen.app.functions`."""

from __future__ import annotations

import os

from ..cli_args import number
from ..errors import EmogenError


def add_demo_parser(commands) -> None:
    p = commands.add_parser(
        "demo", help="start the web app (Speech, Talking head, Music, Scene)",
        description="Serve the Gradio app. Its generate buttons are also API endpoints (/tts, /talk, /music, "
                    "/scene) for gradio_client; see the README.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all; default 127.0.0.1)")
    p.add_argument("--port", type=number(1, 65535, integer=True),
                   help="port, 1-65535 (default: Gradio's, 7860 or the next free one)")
    share = p.add_mutually_exclusive_group()
    share.add_argument("--share", dest="share", action="store_true",
                       help="also open a public gradio.live link (needs internet)")
    share.add_argument("--share-off", dest="share", action="store_false", help="no public link (the default)")
    p.add_argument("--no-preload", action="store_true", help="load each model on its first request instead of "
                                                             "in the background at start")
    p.set_defaults(run=run_demo, share=False)


def run_demo(args) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from an offline machine
    if not args.no_preload:  # the voice loads while gradio imports and the page is built
        from .functions import preload

        preload(("tts", "music"))
    try:
        from .ui import launch
    except ImportError as e:
        raise EmogenError(f"the app needs gradio: pip install 'emogen[app]' ({e})") from None
    launch(args.host, args.port, share=args.share, preload=not args.no_preload)
    return 0
