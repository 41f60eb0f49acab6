"""Shared test setup: a throw-away state directory for every test run."""

import os
import tempfile

# Before Django reads its settings: unit tests must never touch a real registry.
os.environ.setdefault("MDP_STATE_DIR", tempfile.mkdtemp(prefix="mdp-unit-"))


from datetime import date, timedelta  # noqa: E402

import pytest  # noqa: E402


def _day(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.fixture(scope="session")
def platform():
    """One real platform for all integration tests (starting one takes seconds, not minutes)."""
    from tests.harness import make_platform

    p = make_platform()
    for user in ("alice", "bruno", "carol", "dora", "erik", "gina"):
        p.add_user(user)
    p.add_user("admin", "--admin")
    for checker in ("olga", "pavel"):  # output checkers (test_outputs_desk.py)
        p.add_user(checker, "--role", "output-checker")
    for reviewer in ("rita", "paul"):
        p.add_user(reviewer, "--role", "reviewer")
    p.mdp("project", "create", "OPEN1", "--title", "Open project", "--start", _day(-10), "--end", _day(100), "--mem", "1024")
    p.mdp("project", "create", "OTHER", "--title", "Carol's project", "--start", _day(-10), "--end", _day(100))
    p.mdp("project", "create", "FUTURE", "--title", "Not started", "--start", _day(5), "--end", _day(100))
    p.mdp("project", "create", "ENDED", "--title", "Over", "--start", _day(-100), "--end", _day(-1))
    p.mdp("project", "create", "CUTME", "--title", "Ended during the test", "--start", _day(-10), "--end", _day(100))
    p.mdp("project", "create", "TERMS", "--title", "Terminals allowed", "--start", _day(-10), "--end", _day(100),
          "--terminals")
    p.mdp("project", "create", "NODATA", "--title", "Data folder lost", "--start", _day(-10), "--end", _day(100))
    p.mdp("project", "create", "SHORT", "--title", "End date moved to the past", "--start", _day(-10), "--end", _day(100))
    for project, users in {"open1": ["alice", "bruno", "dora", "erik", "gina"], "other": ["carol"], "future": ["alice"],
                           "ended": ["alice"], "cutme": ["alice"], "short": ["alice"], "terms": ["erik"], "nodata": ["alice"]}.items():
        for user in users:
            p.mdp("project", "add-member", project, user)
    (p.state_dir / "projects" / "other" / "IN" / "other-project-marker.csv").write_text("secret\n")
    (p.state_dir / "projects" / "open1" / "IN" / "extract.csv").write_text("a,b\n1,2\n")
    try:
        p.start()
        yield p
    finally:
        p.stop()




@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language (English). A page asked for in French leaves French active
    in the thread (LocaleMiddleware activates a language per request and never deactivates it), and the
    refusals raised in Python follow the active language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
