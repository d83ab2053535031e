"""The offline composer's sentences in English, German, French and Spanish.

Sentences hold no numbers, dates, plans or offers of their own: every such value is a
``{placeholder}`` filled from the facts. Each list offers variants, picked by a stable hash
of the account id.
"""

from __future__ import annotations

SUPPORTED = ("en", "de", "fr", "es")

MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
}
WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "es": "lunes martes miércoles jueves viernes sábado domingo".split(),
}
DATE = {"en": "{month} {day}", "de": "{day}. {month}", "fr": "{day} {month}", "es": "{day} de {month}"}
SLOT = {
    "en": "{weekday}, {date} at {time}",
    "de": "{weekday}, {date} um {time}",
    "fr": "{weekday} {date} à {time}",
    "es": "{weekday} {date} a las {time}",
}

TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "greeting": ("Hi {name},",),
        "greeting_anonymous": ("Hello,",),
        "sign_off": ("Best,",),
        "check_in_opening": (
            "I was looking over how things are going for {account} and wanted to check in personally.",
            "I've been reviewing the accounts I look after, and {account} stood out, so I wanted to reach out.",
            "Quick personal note from me, since I look after {account} on our side.",
            "I hope things are going well at {account}. I wanted to reach out directly.",
            "I noticed something in how {account} has been using {company} and wanted to ask you about it.",
        ),
        "usage": ("Activity on your account went from {before} in the {days} days before to {after} in the last {days} days.",),
        "usage_before": (" Before that, most of it was {listing}.",),
        "check_in_ask": (
            "Is something getting in the way, or have priorities shifted? If a short call would help, I'm happy to set one up.",
            "Did something change on your side? If it would help, I can walk your team through anything in a quick call.",
            "Is there anything we could be doing better? I'd be glad to find a time to talk it through.",
        ),
        "different_angle": (
            "Following up on my last note. Teams in a busy stretch often just need a shortcut back in, so I'm happy to "
            "set up a short session to get your team going again with {top_feature}.",
            "One more thought: if the way your team works has changed, I can suggest a setup that fits it better. "
            "Would a short call this week or next work?",
            "I don't want to fill your inbox, so just one question: would it help if I put together a quick plan for "
            "getting more out of {top_feature}? A short call is usually the fastest way.",
        ),
        "payment_failed": ("The most recent payment{plan} didn't go through",),
        "payment_failed_amount": ("The payment of {amount}{plan} on {date} didn't go through",),
        "payment_plan": (" for your {plan} plan",),
        "payment_bank": (" (the bank said: {reason}).",),
        "payment_fix": (
            " These things happen, often an expired card. You can update the card here, it takes a minute:\n{url}\n\n"
            "If something else is going on with billing, just reply and I'll sort it out.",
        ),
        "payment_reminder": (
            "A gentle reminder about the payment issue I wrote about. Your account stays as it is while we sort it out; "
            "updating the card here is usually all it takes:\n{url}",
        ),
        "call_offer": (
            "Thanks for getting back to me, that's great to hear. Here are a few times that work on my side ({zone}):"
            "\n\n{slots}\n\nI've attached an invite for the first one. If another time suits you better, just reply with it.",
        ),
        "cancel_opening": ("I saw your cancellation request for {account}, and I'd like to understand it before anything changes.",),
        "cancel_price": ("You mentioned cost.",),
        "cancel_not_using": ("It sounds like the team hasn't been getting enough use out of it.",),
        "cancel_missing_feature": ("It sounds like something you need is missing.",),
        "cancel_switching": ("It sounds like you're looking at another tool.",),
        "cancel_support": ("It sounds like our support let you down, and I'm sorry about that.",),
        "cancel_moving": ("It sounds like things are changing on your side.",),
        "cancel_other": ("Thanks for telling us.",),
        "offer_discount": ("I can offer {pct}% off your next renewal if you'd like to stay.",),
        "offer_training_session": ("I can set up a training session for your team to get more out of it.",),
        "offer_pause_subscription": ("If timing is the issue, we can pause the subscription instead of closing it.",),
        "offer_plan_downgrade": ("If it's more than you need, we can move you to a smaller plan.",),
        "cancel_ask": ("Would a short call help before you decide? Just reply and I'll set it up.",),
        "win_back": (
            "It's been a little while since {account} closed its account, and I wanted to say thanks for the time you spent with us.",
            "I was thinking about {account} and the work your team did with {company}.",
        ),
        "win_back_history": (" Your team used {listing} the most.",),
        "win_back_ask": ("If anything has changed, I'd be glad to show you what's new in a short call.",),
        "subject_check_in": ("Checking in on {account}", "A quick question about {account}", "{account} and {company}"),
        "subject_payment": ("Your {company} payment", "A quick note about your {company} billing"),
        "subject_cancel": ("About your cancellation", "Before {account} goes"),
        "win_back_free_month": ("If you would like to give it another try, I can offer {months} free months when you come back.",),
        "subject_win_back": ("Hello again from {company}", "{account} and {company}"),
    },
    "de": {
        "greeting": ("Hallo {name},",),
        "greeting_anonymous": ("Hallo,",),
        "sign_off": ("Viele Grüße",),
        "check_in_opening": (
            "ich habe mir angesehen, wie es bei {account} läuft, und wollte mich persönlich melden.",
            "ich betreue {account} bei uns und wollte mich kurz persönlich melden.",
            "ich hoffe, bei {account} läuft alles gut. Ich wollte mich direkt bei Ihnen melden.",
        ),
        "usage": ("Die Aktivität in Ihrem Konto ging von {before} in den {days} Tagen davor auf {after} in den letzten {days} Tagen zurück.",),
        "usage_before": (" Vorher waren es vor allem {listing}.",),
        "check_in_ask": (
            "Steht Ihnen etwas im Weg, oder haben sich die Prioritäten verschoben? Ein kurzes Gespräch richte ich gern ein.",
            "Hat sich bei Ihnen etwas geändert? Wenn es hilft, zeige ich Ihrem Team gern alles in einem kurzen Termin.",
        ),
        "different_angle": (
            "Ich melde mich noch einmal zu meiner letzten Nachricht. Gern richte ich eine kurze Sitzung ein, damit Ihr Team "
            "mit {top_feature} wieder gut in Fahrt kommt.",
            "Noch ein Gedanke: Wenn sich die Arbeitsweise Ihres Teams geändert hat, schlage ich gern eine passendere "
            "Einrichtung vor. Passt ein kurzes Gespräch diese oder nächste Woche?",
        ),
        "payment_failed": ("Die letzte Zahlung{plan} ist leider nicht durchgegangen",),
        "payment_failed_amount": ("Die Zahlung über {amount}{plan} vom {date} ist leider nicht durchgegangen",),
        "payment_plan": (" für Ihren Tarif {plan}",),
        "payment_bank": (" (die Bank meldete: {reason}).",),
        "payment_fix": (
            " Das passiert, oft ist die Karte abgelaufen. Hier können Sie die Karte in einer Minute aktualisieren:\n{url}\n\n"
            "Wenn es um etwas anderes bei der Abrechnung geht, antworten Sie einfach, und ich kümmere mich darum.",
        ),
        "payment_reminder": (
            "Eine freundliche Erinnerung an das Zahlungsproblem. Ihr Konto bleibt, wie es ist, solange wir das klären; "
            "meist genügt es, die Karte hier zu aktualisieren:\n{url}",
        ),
        "call_offer": (
            "Danke für Ihre Antwort, das freut mich. Diese Termine passen mir ({zone}):\n\n{slots}\n\n"
            "Für den ersten liegt eine Einladung bei. Wenn Ihnen eine andere Zeit besser passt, antworten Sie einfach.",
        ),
        "cancel_opening": ("ich habe Ihre Kündigung für {account} gesehen und möchte sie verstehen, bevor sich etwas ändert.",),
        "cancel_price": ("Sie haben die Kosten erwähnt.",),
        "cancel_not_using": ("Es klingt, als hätte Ihr Team es zuletzt wenig genutzt.",),
        "cancel_missing_feature": ("Es klingt, als fehle Ihnen etwas Wichtiges.",),
        "cancel_switching": ("Es klingt, als sähen Sie sich ein anderes Werkzeug an.",),
        "cancel_support": ("Es klingt, als hätte unser Support Sie enttäuscht, und das tut mir leid.",),
        "cancel_moving": ("Es klingt, als ändere sich bei Ihnen gerade einiges.",),
        "cancel_other": ("Danke, dass Sie uns Bescheid geben.",),
        "offer_discount": ("Wenn Sie bleiben möchten, kann ich Ihnen {pct}% Rabatt auf die nächste Verlängerung anbieten.",),
        "offer_training_session": ("Gern richte ich eine Schulung für Ihr Team ein.",),
        "offer_pause_subscription": ("Wenn es am Zeitpunkt liegt, können wir das Abo pausieren statt es zu beenden.",),
        "offer_plan_downgrade": ("Wenn es mehr ist als nötig, können wir Sie auf einen kleineren Tarif umstellen.",),
        "cancel_ask": ("Hilft ein kurzes Gespräch, bevor Sie entscheiden? Antworten Sie einfach, dann richte ich es ein.",),
        "win_back": ("es ist eine Weile her, dass {account} das Konto geschlossen hat, und ich wollte mich für die gemeinsame Zeit bedanken.",),
        "win_back_history": (" Ihr Team hat vor allem {listing} genutzt.",),
        "win_back_ask": ("Wenn sich bei Ihnen etwas geändert hat, zeige ich Ihnen gern in einem kurzen Gespräch, was neu ist.",),
        "subject_check_in": ("Kurze Nachfrage zu {account}", "{account} und {company}"),
        "subject_payment": ("Ihre Zahlung bei {company}", "Kurzer Hinweis zu Ihrer Abrechnung bei {company}"),
        "subject_cancel": ("Zu Ihrer Kündigung",),
        "win_back_free_month": ("Wenn Sie es noch einmal versuchen möchten, kann ich Ihnen {months} kostenlose Monate anbieten.",),
        "subject_win_back": ("Grüße von {company}",),
    },
    "fr": {
        "greeting": ("Bonjour {name},",),
        "greeting_anonymous": ("Bonjour,",),
        "sign_off": ("Bien à vous,",),
        "check_in_opening": (
            "Je regardais comment les choses se passent pour {account} et je voulais prendre des nouvelles.",
            "Je m'occupe de {account} chez nous et je voulais vous écrire personnellement.",
            "J'espère que tout va bien chez {account}. Je voulais vous écrire directement.",
        ),
        "usage": ("L'activité de votre compte est passée de {before} sur les {days} jours précédents à {after} sur les {days} derniers jours.",),
        "usage_before": (" Avant cela, il s'agissait surtout de {listing}.",),
        "check_in_ask": (
            "Est-ce que quelque chose vous bloque, ou les priorités ont-elles changé ? Je peux organiser un court appel.",
            "Quelque chose a-t-il changé de votre côté ? Si cela aide, je peux tout montrer à votre équipe lors d'un court appel.",
        ),
        "different_angle": (
            "Je reviens vers vous après mon dernier message. Je peux organiser une courte séance pour que votre équipe "
            "reprenne en main {top_feature}.",
            "Une autre idée : si votre façon de travailler a changé, je peux vous proposer une configuration plus adaptée. "
            "Un court appel cette semaine ou la suivante vous conviendrait-il ?",
        ),
        "payment_failed": ("Le dernier paiement{plan} n'est pas passé",),
        "payment_failed_amount": ("Le paiement de {amount}{plan} du {date} n'est pas passé",),
        "payment_plan": (" pour votre offre {plan}",),
        "payment_bank": (" (la banque a indiqué : {reason}).",),
        "payment_fix": (
            " Cela arrive, souvent à cause d'une carte expirée. Vous pouvez mettre à jour la carte ici, cela prend une minute :\n{url}\n\n"
            "S'il s'agit d'autre chose concernant la facturation, répondez simplement et je m'en occupe.",
        ),
        "payment_reminder": (
            "Un petit rappel au sujet du paiement. Votre compte reste tel quel le temps de régler cela ; "
            "mettre à jour la carte ici suffit en général :\n{url}",
        ),
        "call_offer": (
            "Merci pour votre réponse, cela me fait plaisir. Voici quelques créneaux de mon côté ({zone}) :\n\n{slots}\n\n"
            "Vous trouverez une invitation pour le premier. Si un autre moment vous convient mieux, répondez simplement.",
        ),
        "cancel_opening": ("J'ai vu votre demande de résiliation pour {account} et j'aimerais la comprendre avant que rien ne change.",),
        "cancel_price": ("Vous avez évoqué le coût.",),
        "cancel_not_using": ("Il semble que l'équipe ne s'en servait plus beaucoup.",),
        "cancel_missing_feature": ("Il semble qu'il vous manque quelque chose d'important.",),
        "cancel_switching": ("Il semble que vous regardiez un autre outil.",),
        "cancel_support": ("Il semble que notre support vous ait déçu, et j'en suis désolé.",),
        "cancel_moving": ("Il semble que les choses changent de votre côté.",),
        "cancel_other": ("Merci de nous avoir prévenus.",),
        "offer_discount": ("Si vous souhaitez rester, je peux vous proposer {pct}% de remise sur le prochain renouvellement.",),
        "offer_training_session": ("Je peux organiser une formation pour votre équipe.",),
        "offer_pause_subscription": ("Si c'est une question de calendrier, nous pouvons mettre en pause l'abonnement plutôt que le fermer.",),
        "offer_plan_downgrade": ("Si c'est plus que nécessaire, nous pouvons passer à un forfait moins cher.",),
        "cancel_ask": ("Un court appel vous aiderait-il avant de décider ? Répondez simplement et je l'organise.",),
        "win_back": ("Cela fait un moment que {account} a fermé son compte, et je voulais vous remercier pour ce temps passé ensemble.",),
        "win_back_history": (" Votre équipe utilisait surtout {listing}.",),
        "win_back_ask": ("Si les choses ont changé, je serais ravi de vous montrer les nouveautés lors d'un court appel.",),
        "subject_check_in": ("Des nouvelles de {account}", "{account} et {company}"),
        "subject_payment": ("Votre paiement {company}", "Un mot sur votre facturation {company}"),
        "subject_cancel": ("Au sujet de votre résiliation",),
        "win_back_free_month": ("Si vous souhaitez réessayer, je peux vous offrir {months} mois gratuits à votre retour.",),
        "subject_win_back": ("Des nouvelles de {company}",),
    },
    "es": {
        "greeting": ("Hola, {name}:",),
        "greeting_anonymous": ("Hola:",),
        "sign_off": ("Un saludo,",),
        "check_in_opening": (
            "Estaba revisando cómo le va a {account} y quería escribirle personalmente.",
            "Me ocupo de {account} y quería escribirle directamente.",
            "Espero que todo vaya bien en {account}. Quería escribirle en persona.",
        ),
        "usage": ("La actividad de su cuenta pasó de {before} en los {days} días anteriores a {after} en los últimos {days} días.",),
        "usage_before": (" Antes, sobre todo eran {listing}.",),
        "check_in_ask": (
            "¿Hay algo que se lo impida, o han cambiado las prioridades? Si le ayuda, organizo una llamada corta.",
            "¿Ha cambiado algo por su parte? Si sirve, puedo enseñarle todo a su equipo en una llamada corta.",
        ),
        "different_angle": (
            "Vuelvo sobre mi último mensaje. Puedo organizar una sesión corta para que su equipo retome {top_feature}.",
            "Otra idea: si su forma de trabajar ha cambiado, puedo proponerle una configuración que encaje mejor. "
            "¿Le va bien una llamada corta esta semana o la próxima?",
        ),
        "payment_failed": ("El último pago{plan} no se ha podido cobrar",),
        "payment_failed_amount": ("El pago de {amount}{plan} del {date} no se ha podido cobrar",),
        "payment_plan": (" de su plan {plan}",),
        "payment_bank": (" (el banco indicó: {reason}).",),
        "payment_fix": (
            " Pasa a menudo, normalmente por una tarjeta caducada. Puede actualizar la tarjeta aquí en un minuto:\n{url}\n\n"
            "Si se trata de otra cosa de facturación, responda y lo resuelvo.",
        ),
        "payment_reminder": (
            "Un recordatorio sobre el pago pendiente. Su cuenta sigue igual mientras lo resolvemos; "
            "normalmente basta con actualizar la tarjeta aquí:\n{url}",
        ),
        "call_offer": (
            "Gracias por responder, me alegra. Estos horarios me vienen bien ({zone}):\n\n{slots}\n\n"
            "Le adjunto una invitación para el primero. Si le va mejor otro momento, responda con él.",
        ),
        "cancel_opening": ("He visto su solicitud de baja de {account} y me gustaría entenderla antes de que cambie nada.",),
        "cancel_price": ("Mencionó el coste.",),
        "cancel_not_using": ("Parece que el equipo no lo estaba usando mucho.",),
        "cancel_missing_feature": ("Parece que le falta algo importante.",),
        "cancel_switching": ("Parece que está valorando otra herramienta.",),
        "cancel_support": ("Parece que nuestro soporte le falló, y lo siento.",),
        "cancel_moving": ("Parece que las cosas están cambiando por su parte.",),
        "cancel_other": ("Gracias por avisarnos.",),
        "offer_discount": ("Si quiere quedarse, puedo ofrecerle un {pct}% de descuento en la próxima renovación.",),
        "offer_training_session": ("Puedo organizar una formación para su equipo.",),
        "offer_pause_subscription": ("Si es cuestión de tiempo, podemos pausar la suscripción en lugar de cerrarla.",),
        "offer_plan_downgrade": ("Si es más de lo que necesita, podemos pasarle a un plan más barato.",),
        "cancel_ask": ("¿Le ayudaría una llamada corta antes de decidir? Responda y la organizo.",),
        "win_back": ("Hace un tiempo que {account} cerró su cuenta y quería agradecerle el tiempo que trabajamos juntos.",),
        "win_back_history": (" Su equipo usaba sobre todo {listing}.",),
        "win_back_ask": ("Si algo ha cambiado, con gusto le enseño las novedades en una llamada corta.",),
        "subject_check_in": ("Una pregunta sobre {account}", "{account} y {company}"),
        "subject_payment": ("Su pago de {company}", "Una nota sobre su facturación de {company}"),
        "subject_cancel": ("Sobre su solicitud de baja",),
        "win_back_free_month": ("Si quiere volver a probar, puedo ofrecerle {months} meses gratis a su vuelta.",),
        "subject_win_back": ("Saludos de {company}",),
    },
}

CANCEL_OFFERS = {
    "price": ("discount", "plan_downgrade"),
    "not_using": ("training_session", "pause_subscription"),
    "missing_feature": ("training_session",),
    "switching": ("discount", "training_session"),
    "support": ("training_session",),
    "moving": ("pause_subscription", "plan_downgrade"),
    "other": ("training_session",),
}
