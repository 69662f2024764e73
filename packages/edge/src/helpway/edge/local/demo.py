"""The demo: a site for a fictional product, an agent to log in as, and its help centre.

Seeding is idempotent, so every `helpway dev` runs it: an existing site and agent are kept as
they are, and unchanged articles are skipped by the ingest (nothing is embedded twice).
"""

from __future__ import annotations

from helpway.knowledge.demo import DEMO_BASE_URL, DEMO_KB_DIR
from helpway.knowledge.ingest import IngestReport, ProgressCallback
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.store import agents, canned, sites
from helpway.store.database import Database
from helpway.store.errors import Conflict
from helpway.store.sites import SiteConfig

SITE_ID = "demo"
# The fictional product the demo help articles (in the knowledge package) are written for.
PRODUCT = "Acme Cloud Notes"
# Loopback origins on any port, so the demo page works whatever PORT is.
ORIGINS = ("http://localhost", "http://127.0.0.1", "http://[::1]")
AGENT_EMAIL = "agent@demo.helpway.dev"
AGENT_NAME = "Dana (demo agent)"
AGENT_PASSWORD = "helpway-demo"
# Saved replies for the console's `/` menu: (shortcut, title, text).
CANNED = (
    ("hello", "Greeting", "Hi, I'm Dana from the Acme Cloud Notes team. How can I help?"),
    (
        "reset",
        "Password reset steps",
        "On the sign-in page, click “Forgot password?”, enter your account's e-mail and click "
        "“Send reset link”, then open our e-mail and choose a new password.",
    ),
    ("thanks", "Closing", "Thanks for reaching out! Is there anything else I can help with?"),
)


async def seed(
    db: Database, knowledge: KnowledgeBase, progress: ProgressCallback | None = None
) -> IngestReport:
    """Create the demo site (with a few canned replies) and agent if missing, and bring the
    demo KB up to date."""
    if await sites.get_site(db, SITE_ID) is None:
        config = SiteConfig(
            title=f"{PRODUCT} support",
            greeting="Hi! Ask me anything about Acme Cloud Notes, or ask for a person.",
            assistant_name="Acme assistant",
        )
        await sites.create_site(
            db, name=PRODUCT, site_id=SITE_ID, allowed_origins=ORIGINS, config=config
        )
        for shortcut, title, text in CANNED:
            await canned.create_canned(db, SITE_ID, shortcut, title, text)
    try:
        agent = await agents.create_agent(
            db, email=AGENT_EMAIL, name=AGENT_NAME, password=AGENT_PASSWORD
        )
    except Conflict:
        pass  # seeded by an earlier start
    else:
        # The person trying the demo runs the site: the settings page is theirs to change.
        await agents.add_agent_to_site(db, SITE_ID, agent.id, role="owner")
    return await knowledge.ingest_path(
        SITE_ID, DEMO_KB_DIR, base_url=DEMO_BASE_URL, progress=progress
    )
