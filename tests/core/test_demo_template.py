"""The demo template of tests/conftest.py: a test that asks for `demo_app` starts from the demo
without loading it, on its own copy of the database and of the stored files."""

from __future__ import annotations

import hashlib

from sqlalchemy import create_engine, func, select, update

from workflow.acts.models import Act
from workflow.extensions import db

CHANGED = "Oggetto cambiato da un test"


def test_a_test_on_the_demo_reads_and_changes_only_its_own_copy(
    demo_app, client, databases, tmp_path
) -> None:
    act = db.session.scalars(select(Act).where(Act.state == "pubblicato").order_by(Act.id)).first()
    document = next(d for d in act.documents if d.kind == "atto")
    url = f"/albo/{act.albo_year}/{act.albo_number}/documenti/{document.id}"
    served = client.get(url)
    assert served.status_code == 200
    assert hashlib.sha256(served.data).digest() == document.sha256

    # Every file of the template is in this test's folder, where its app reads them: remove them
    # all, and change every act, as a careless test could.
    stored = [p.relative_to(databases.demo_files) for p in databases.demo_files.rglob("*.pdf")]
    assert len(stored) > len(act.documents)  # acts' documents and the consultation's files
    for relative in stored:
        (tmp_path / relative).unlink()
    db.session.execute(update(Act).values(oggetto=CHANGED))
    db.session.commit()

    # The next test on the demo still finds it whole.
    assert all((databases.demo_files / relative).is_file() for relative in stored)
    next_url, name = databases.new(with_demo=True)
    engine = create_engine(next_url)
    try:
        with engine.connect() as conn:
            changed = conn.scalar(select(func.count()).where(Act.oggetto == CHANGED))
            acts = conn.scalar(select(func.count()).select_from(Act))
    finally:
        engine.dispose()
        databases.drop(name)
    # The seed's decree, the replayed illustrative acts and the acts open today: 19 on 01/07/2025.
    assert (changed, acts) == (0, 19)
