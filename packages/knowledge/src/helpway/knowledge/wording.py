"""The assistant's own sentences, in the visitor's language.

Every generator quotes or summarises the KB, but some words are ours: the decline that offers a
person, the notes when a stream is cut, and the extractive composer's "From …" and "See also …".
A Thai visitor who gets an English decline has been told nothing, so these follow the language
of the visitor's message (English when it cannot be told).
"""

from __future__ import annotations

from typing import NamedTuple

from .languages import detect


class Wording(NamedTuple):
    decline: str
    cut_off: str
    unavailable: str
    quoting: str  # introduces the quoted section; {} is its title
    see_also: str  # names another close section; {} is its title


WORDINGS = {
    "en": Wording(
        decline="I don't know the answer to that from our help articles. "
        "I can connect you with a person if you'd like.",
        cut_off="Sorry, I was cut off. I can connect you with a person if you'd like.",
        unavailable="Sorry, I can't answer right now. "
        "I can connect you with a person if you'd like.",
        quoting="From “{}”:",
        see_also="See also “{}”.",
    ),
    "es": Wording(
        decline="No encuentro la respuesta en nuestros artículos de ayuda. "
        "Si quieres, te pongo en contacto con una persona.",
        cut_off="Lo siento, se cortó mi respuesta. "
        "Si quieres, te pongo en contacto con una persona.",
        unavailable="Lo siento, ahora no puedo responder. "
        "Si quieres, te pongo en contacto con una persona.",
        quoting="De «{}»:",
        see_also="Consulta también «{}».",
    ),
    "pt": Wording(
        decline="Não encontrei a resposta nos nossos artigos de ajuda. "
        "Se quiser, posso chamar uma pessoa para falar com você.",
        cut_off="Desculpe, minha resposta foi interrompida. "
        "Se quiser, posso chamar uma pessoa para falar com você.",
        unavailable="Desculpe, não consigo responder agora. "
        "Se quiser, posso chamar uma pessoa para falar com você.",
        quoting="De “{}”:",
        see_also="Veja também “{}”.",
    ),
    "id": Wording(
        decline="Saya tidak menemukan jawabannya di artikel bantuan kami. "
        "Saya bisa menghubungkan Anda dengan petugas kami jika Anda mau.",
        cut_off="Maaf, jawaban saya terputus. "
        "Saya bisa menghubungkan Anda dengan petugas kami jika Anda mau.",
        unavailable="Maaf, saya tidak bisa menjawab sekarang. "
        "Saya bisa menghubungkan Anda dengan petugas kami jika Anda mau.",
        quoting="Dari “{}”:",
        see_also="Lihat juga “{}”.",
    ),
    "th": Wording(
        decline="ฉันไม่พบคำตอบนี้ในบทความช่วยเหลือของเรา หากต้องการ ฉันติดต่อเจ้าหน้าที่ให้ได้",
        cut_off="ขออภัย คำตอบของฉันถูกตัดกลางคัน หากต้องการ ฉันติดต่อเจ้าหน้าที่ให้ได้",
        unavailable="ขออภัย ตอนนี้ฉันตอบไม่ได้ หากต้องการ ฉันติดต่อเจ้าหน้าที่ให้ได้",
        quoting="จาก “{}”:",
        see_also="ดูเพิ่มเติม “{}”",
    ),
    "ar": Wording(
        decline="لم أجد الإجابة في مقالات المساعدة لدينا. يمكنني توصيلك بأحد موظفينا إن أردت.",
        cut_off="عذرًا، انقطعت إجابتي. يمكنني توصيلك بأحد موظفينا إن أردت.",
        unavailable="عذرًا، لا أستطيع الإجابة الآن. يمكنني توصيلك بأحد موظفينا إن أردت.",
        quoting="من «{}»:",
        see_also="انظر أيضًا «{}».",
    ),
    "he": Wording(
        decline="לא מצאתי תשובה לכך במאמרי העזרה שלנו. אפשר לחבר אותך לנציג אם תרצה.",
        cut_off="מצטער, התשובה שלי נקטעה. אפשר לחבר אותך לנציג אם תרצה.",
        unavailable="מצטער, אני לא יכול לענות כרגע. אפשר לחבר אותך לנציג אם תרצה.",
        quoting="מתוך „{}”:",
        see_also="ראו גם „{}”.",
    ),
}
ENGLISH = WORDINGS["en"]


def wording_for(question: str) -> Wording:
    """Our sentences in the language `question` is written in, else English."""
    return WORDINGS.get(detect(question) or "en", ENGLISH)
