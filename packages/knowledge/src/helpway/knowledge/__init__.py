"""Helpway knowledge base: ingest, embeddings, vector and lexical search, answers.

The edge and the CLI use `KnowledgeBase`; the rest is exported for adapters and tests.
"""

from .answers import (
    AnswerDelta,
    AnswerEvent,
    AnswerFinal,
    Citation,
    Generator,
    Resolution,
)
from .confidence import AnswerPolicy
from .demo import (
    DEMO_BASE_URL,
    DEMO_KB_DIR,
    DemoArticle,
    demo_article,
    demo_articles,
    render_article_html,
)
from .documents import Format
from .embedder import Embedder
from .ingest import DocumentResult, IngestProgress, IngestReport, UnknownSiteError
from .knowledge_base import KnowledgeBase, default_generator
from .manifest import ManifestError
from .markdown_sections import render_markdown
from .openai_compatible import GeneratorError, OpenAiCompatibleGenerator, OpenAiSettings
from .retrieval import Hit
from .vector_index import IndexMismatchError, VectorIndex
from .watchdog import StreamLimits
from .wording import WORDINGS, Wording, wording_for

__all__ = [
    "DEMO_BASE_URL",
    "DEMO_KB_DIR",
    "WORDINGS",
    "AnswerDelta",
    "AnswerEvent",
    "AnswerFinal",
    "AnswerPolicy",
    "Citation",
    "DemoArticle",
    "DocumentResult",
    "Embedder",
    "Format",
    "Generator",
    "GeneratorError",
    "Hit",
    "IndexMismatchError",
    "IngestProgress",
    "IngestReport",
    "KnowledgeBase",
    "ManifestError",
    "OpenAiCompatibleGenerator",
    "OpenAiSettings",
    "Resolution",
    "StreamLimits",
    "UnknownSiteError",
    "VectorIndex",
    "Wording",
    "default_generator",
    "demo_article",
    "demo_articles",
    "render_article_html",
    "render_markdown",
    "wording_for",
]
