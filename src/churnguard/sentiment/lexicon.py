"""Seed cues for tone in English, German, French and Spanish.

The trained model learns most of its weights from the labeled corpus; these cues give it a
few stable features that carry across languages when the corpus has not seen a word yet.
Each entry is a lower-cased word stem matched at the start of a token, or a phrase of
several words matched in the normalized text. Negators flip the cue that follows them
within three tokens ("not happy", "nicht zufrieden", "pas content", "no funciona").
"""

from __future__ import annotations

NEGATIVE = (
    # English
    "angry", "annoy", "awful", "bad", "broken", "bug", "cancel", "crash", "disappoint", "down", "error",
    "fail", "frustrat", "furious", "garbage", "horribl", "lost", "poor", "refund", "ridiculous", "slow",
    "terribl", "unacceptabl", "unusabl", "useless", "worst", "waste", "again", "still", "stuck",
    "nobody", "ignored", "escalat", "complain", "overcharg", "switch",
    # German
    "ärger", "enttäusch", "fehler", "kaputt", "katastroph", "kündig", "langsam", "schlecht", "unbrauchbar",
    "unzufrieden", "frech", "absturz", "stürzt", "funktioniert nicht", "immer noch", "schon wieder", "wütend",
    "inakzeptabel", "niemand", "verloren", "zumutung", "mangelhaft",
    # French
    "bug", "catastroph", "décevant", "déçu", "erreur", "furieux", "inacceptabl", "inutilisabl", "lent",
    "mauvais", "nul", "panne", "perdu", "plant", "résili", "rembours", "toujours pas", "encore une fois",
    "personne", "scandal", "agacé", "mécontent", "honteux",
    # Spanish
    "cancelar", "decepcion", "error", "fallo", "falla", "horribl", "inaceptabl", "inútil", "lento",
    "malo", "mala", "pésim", "perdid", "reembols", "molest", "harto", "harta", "nadie", "todavía no",
    "otra vez", "enfad", "queja", "caíd", "vergüenza",
)

POSITIVE = (
    # English
    "amazing", "appreciat", "awesome", "excellent", "fantastic", "fast", "great", "happy", "helpful",
    "love", "perfect", "quick", "recommend", "resolved", "smooth", "thank", "thanks", "works", "wonderful",
    "glad", "pleased", "easy", "solved",
    # German
    "danke", "ausgezeichnet", "begeistert", "einfach", "empfehl", "froh", "gelöst", "großartig", "gut",
    "hilfreich", "klappt", "perfekt", "schnell", "super", "toll", "zufrieden", "prima", "funktioniert",
    # French
    "merci", "excellent", "facile", "génial", "parfait", "rapide", "ravi", "recommande", "résolu",
    "satisfait", "super", "top", "efficace", "content", "fonctionne", "bravo",
    # Spanish
    "gracias", "encant", "excelente", "fácil", "genial", "perfect", "rápid", "recomiend", "resuelt",
    "satisfech", "contento", "contenta", "funciona", "estupend", "útil", "maravill",
)

NEGATORS = (
    "not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "can't", "cannot", "won't",
    "nicht", "kein", "keine", "keinen", "nie", "niemals",
    "pas", "jamais", "plus", "ne", "n'",
    "nunca", "tampoco", "ni",
)

INTENSIFIERS = (
    "very", "really", "extremely", "totally", "completely", "so",
    "sehr", "total", "völlig", "extrem", "wirklich",
    "très", "vraiment", "complètement", "totalement",
    "muy", "realmente", "totalmente", "completamente",
)
