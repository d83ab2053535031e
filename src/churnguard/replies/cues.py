"""Hand-written cues that override the verdict model: prompt injection and unsubscribe requests.

These are rules on purpose. An instruction aimed at an AI agent must reach a person and be
flagged, whatever a statistical model makes of the rest of the text. A request to stop
writing must be honoured even when the corpus never showed its wording. Both
patterns cover English, German, French, Spanish, Portuguese, Dutch, Italian and Japanese.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

INJECTION = re.compile(
    "|".join(
        (
            # Attempts to replace the agent's instructions.
            r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|prompts?|rules|guidelines|directives)\b",
            r"\bsystem prompt\b|^\s*(system|assistant)\s*:|\byou are now\b|\bdeveloper mode\b|\bjailbreak",
            r"\bnew instructions\b|\bas (an?|the) (ai|llm|language model|agent)\b|\bact as (an?|my|the)\b",
            r"\b(ignorier\w*|vergiss|vergessen sie)\b.{0,40}\banweisungen\b",
            r"\b(ignore[zr]?|oublie[zr]?)\b.{0,40}\binstructions\b",
            r"\b(ignora\w*|olvida\w*|esque[çc]a\w*|ignore)\b.{0,40}\b(instrucciones|instru[çc][õo]es)\b",
            r"\b(negeer|vergeet)\b.{0,40}\binstructies\b",
            r"\b(ignora|dimentica)\b.{0,40}\bistruzioni\b",
            r"指示を(無視|忘れ)|プロンプトを無視",
            # Requests for data about other accounts or for the agent to grant money off.
            r"\b(send|give|forward|share|export)\b.{0,30}\b(list|all|every)\b.{0,30}\b(accounts?|customers?|clients?|contacts?|e-?mail addresses)\b",
            r"\b(liste|list)\b.{0,20}\b(aller|alle|all|de tous|de todas|de todos|met al|di tutti)\b.{0,30}"
            r"\b(kunden|clients?|clientes|cuentas|contas|klant\w*|clienti|account\w*)\b",
            r"\belenco di tutti\b.{0,30}\bclienti\b",
            r"顧客の一覧|顧客一覧|全顧客",
            r"\b100\s?%\s?(off|discount|rabatt|de remise|de descuento|de desconto|korting)\b|\bsconto del 100\s?%|100\s?%\s?割引",
            r"\bmark (my|the|this) account as paid\b|\bals bezahlt\b|\bcomme payé\b|\bcomo pagad[ao]\b|"
            r"\bop betaald\b|\bcome pagato\b|支払済み",
        )
    ),
    _I | re.MULTILINE,
)

UNSUBSCRIBE = re.compile(
    "|".join(
        (
            r"\bunsubscribe\b|\bstop (e-?mailing|emails|contacting|writing|sending|messaging)\b|\bremove me\b",
            r"\btake me off\b|\bdo ?n[o']t (e-?mail|contact|write to) me\b|\bdo not (e-?mail|contact|write)\b",
            r"\bno more (e-?mails|messages)\b|\bopt (me )?out\b|\bopt-out\b",
            r"\babmelden\b|\bkeine (e-?mails|mails|nachrichten) mehr\b|\baus dem verteiler\b|\bnicht mehr (kontaktieren|anschreiben)\b",
            r"\bd[ée]sinscri|\bne (plus )?m'[ée]crivez plus\b|\bne plus m'[ée]crire\b|\bne me contactez plus\b|"
            r"\bretirez-moi\b|\bplus de (messages|e-?mails)\b|\bplus recevoir vos\b",
            r"\bdar(me)? de baja\b|\bno me escrib(a|an|as) m[áa]s\b|\bdejen? de escribirme\b|\bno me contacte(n|s)? m[áa]s\b|"
            r"\bqu[íi]tame de\b|\bs[áa]quenme de\b|\bno quiero recibir m[áa]s\b",
            r"\bdescadastr|\bpare de me (mandar|enviar)\b|\bme (tire|remova) d[ae]\b|\bn[ãa]o me escreva mais\b|"
            r"\bn[ãa]o quero mais receber\b",
            r"\bafmelden\b|\bstop met mailen\b|\bhaal me van\b|\bmail me niet meer\b|\bverwijder mij\b|\bgeen (e-?mails|berichten) meer\b",
            r"\bcancellatemi\b|\bsmettete di scrivermi\b|\bnon voglio pi[ùu] ricevere\b|\bnon contattatemi pi[ùu]\b|"
            r"\btoglietemi da\b|\brimuovetemi\b",
            r"配信停止|メールを送らないで|リストから(外し|削除し)|連絡は不要|送信をやめて|受け取りたくありません",
        )
    ),
    _I,
)


def first_match(pattern: re.Pattern[str], text: str) -> str | None:
    """Return the first phrase of ``text`` that ``pattern`` finds, lower-cased, or None."""
    match = pattern.search(text)
    return " ".join(match.group(0).lower().split()) if match else None
