"""The CV web page inside an application of your own.

    pip install -e '.[cv,web]'
    python examples/cv_web_app.py app.db        # then open http://127.0.0.1:8000/cvs/

``create_app`` returns a Starlette app; mount it wherever you like. Here it runs
its own worker; pass ``run_worker=False`` when workers run elsewhere
(``litequeue --db app.db worker --queue cv``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from litequeue_cv.plugin.web import create_app


def main() -> None:
    db = Path(sys.argv[1] if len(sys.argv) > 1 else "app.db")
    cvs = create_app(db, data_dir=db.resolve().parent / "cv-data")
    app = Starlette(
        routes=[
            Route("/", lambda request: PlainTextResponse("my app; the CVs are under /cvs/")),
            Mount("/cvs", app=cvs),
        ],
        lifespan=cvs.router.lifespan_context,  # start and stop the CV worker with the app
    )
    uvicorn.run(app, host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
