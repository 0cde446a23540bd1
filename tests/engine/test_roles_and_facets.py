"""Who writes and what exactly about: each gets the answer written for them (issue #11).

Driven through the real service (real models trained from ``nlu/training``, real SQLite), in
every language: a child who bullied, a parent and a friend get their role's answer, never
another role's; the narrower topics (a dangerous challenge, a leaked address...) get their own.
"""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.engine.messages import Incoming, Reply
from bot.service.runtime import Runtime

USER = 5151

#: (locale, who writes / the answer they get, the message). Written for these tests only.
SCENARIOS: list[tuple[str, str, str]] = [
    (
        "en",
        "bully/bully_general",
        "we made a group chat to roast this kid from my class and now im scared im gonna get in trouble",
    ),
    (
        "en",
        "bully/bully_images",
        "i forwarded a girls nudes to the year group chat as a joke and now everyone has it, will i get in trouble",
    ),
    (
        "en",
        "parent/parent_grooming",
        "Hello, I am a mum. An adult man on Roblox is asking my 11 year old daughter to send him photos. What should I do?",
    ),
    (
        "en",
        "parent/parent_images",
        "I'm a dad. My son's nude photo is being shared around his school, what can I do as a parent?",
    ),
    (
        "en",
        "parent/parent_bullying",
        "My daughter is being bullied in her class group chat, as her mother what should I do?",
    ),
    (
        "en",
        "friend/friend_self_harm",
        "my best friend told me she wants to kill herself and made me promise not to tell anyone",
    ),
    (
        "en",
        "self/dangerous_challenge",
        "everyone at school is doing the blackout challenge on tiktok where you choke until you pass out, should i try it",
    ),
    (
        "en",
        "self/eating_disorder",
        "i only eat 300 calories a day because i want to look like the girls on pro ana accounts, im 13",
    ),
    (
        "en",
        "self/hacked_account",
        "someone hacked my instagram and changed the password, i cant log in anymore",
    ),
    (
        "en",
        "self/doxxing",
        "someone posted my home address and my school in a discord server and now strangers know where i live",
    ),
    (
        "en",
        "self/images_trouble",
        "i sent a nude to my boyfriend, will i get arrested? is it illegal?",
    ),
    (
        "en",
        "self/adult_relationship",
        "my boyfriend is 24 and im 14 but we love each other, he says age is just a number",
    ),
    (
        "en",
        "self/meeting",
        "a guy i met online wants to meet me this weekend and told me to come alone and not tell my parents",
    ),
    (
        "en",
        "self/violence_threat",
        "these boys said theyre going to beat me up after school tomorrow",
    ),
    (
        "ru",
        "bully/bully_general",
        "мы с пацанами сделали беседу чтобы угорать над одним парнем из класса, теперь боюсь что нам влетит",
    ),
    (
        "ru",
        "bully/bully_images",
        "я переслал интимное фото одноклассницы в общий чат ради прикола, теперь оно у всех, мне будет что-то?",
    ),
    (
        "ru",
        "parent/parent_grooming",
        "Здравствуйте, я мама. Взрослый мужчина в игре просит мою дочь 11 лет прислать ему фото. Что мне делать?",
    ),
    (
        "ru",
        "parent/parent_images",
        "Я отец. Интимное фото моего сына разослали по всей школе, что мне как родителю делать?",
    ),
    ("ru", "parent/parent_bullying", "Мою дочь травят в чате класса, что делать мне как маме?"),
    (
        "ru",
        "friend/friend_self_harm",
        "подруга сказала мне что хочет покончить с собой и попросила никому не говорить",
    ),
    (
        "ru",
        "self/dangerous_challenge",
        "в тиктоке все делают челлендж где надо задержать дыхание пока не отключишься, попробовать?",
    ),
    (
        "ru",
        "self/eating_disorder",
        "я ем 300 калорий в день потому что хочу быть худой как девочки из про-ана пабликов, мне 13",
    ),
    ("ru", "self/hacked_account", "мой аккаунт в вк взломали и поменяли пароль, не могу войти"),
    (
        "ru",
        "self/doxxing",
        "кто-то слил мой домашний адрес и школу в дискорд, теперь незнакомые знают где я живу",
    ),
    (
        "ru",
        "self/images_trouble",
        "я отправила своё голое фото парню, меня посадят? это незаконно?",
    ),
    (
        "ru",
        "self/adult_relationship",
        "моему парню 24 а мне 14 но мы любим друг друга, он говорит что возраст это просто цифра",
    ),
    (
        "ru",
        "self/meeting",
        "парень из интернета хочет встретиться в выходные и сказал прийти одной и не говорить родителям",
    ),
    ("ru", "self/violence_threat", "пацаны сказали что завтра изобьют меня после школы"),
    (
        "uk",
        "bully/bully_general",
        "ми з хлопцями зробили чат щоб стібатися з одного хлопця з класу, тепер боюся що нам влетить",
    ),
    (
        "uk",
        "bully/bully_images",
        "я переслав інтимне фото однокласниці в загальний чат заради приколу, тепер воно в усіх, мені щось буде?",
    ),
    (
        "uk",
        "parent/parent_grooming",
        "Добрий день, я мама. Дорослий чоловік у грі просить мою доньку 11 років надіслати йому фото. Що мені робити?",
    ),
    (
        "uk",
        "parent/parent_images",
        "Я батько. Інтимне фото мого сина розіслали по всій школі, що мені як батькові робити?",
    ),
    ("uk", "parent/parent_bullying", "Мою доньку цькують у чаті класу, що робити мені як мамі?"),
    (
        "uk",
        "friend/friend_self_harm",
        "подруга сказала мені що хоче покінчити з собою і попросила нікому не казати",
    ),
    (
        "uk",
        "self/dangerous_challenge",
        "в тіктоці всі роблять челендж де треба затримати дихання поки не знепритомнієш, спробувати?",
    ),
    (
        "uk",
        "self/eating_disorder",
        "я їм 300 калорій на день бо хочу бути худою як дівчата з про-ана пабліків, мені 13",
    ),
    (
        "uk",
        "self/hacked_account",
        "мій акаунт в інстаграмі зламали і змінили пароль, не можу увійти",
    ),
    (
        "uk",
        "self/doxxing",
        "хтось злив мою домашню адресу і школу в діскорд, тепер незнайомі знають де я живу",
    ),
    (
        "uk",
        "self/images_trouble",
        "я надіслала своє голе фото хлопцю, мене посадять? це незаконно?",
    ),
    (
        "uk",
        "self/adult_relationship",
        "моєму хлопцю 24 а мені 14 але ми кохаємо одне одного, він каже що вік це просто цифра",
    ),
    (
        "uk",
        "self/meeting",
        "хлопець з інтернету хоче зустрітися на вихідних і сказав прийти самій і не казати батькам",
    ),
    ("uk", "self/violence_threat", "хлопці сказали що завтра поб'ють мене після школи"),
    (
        "tr",
        "bully/bully_general",
        "sınıftan bir çocukla dalga geçmek için grup kurduk şimdi başımız belaya girecek diye korkuyorum",
    ),
    (
        "tr",
        "bully/bully_images",
        "bir kızın çıplak fotoğrafını şaka olsun diye sınıf grubuna attım şimdi herkeste var, başım derde girer mi",
    ),
    (
        "tr",
        "parent/parent_grooming",
        "Merhaba, ben bir anneyim. Oyunda yetişkin bir adam 11 yaşındaki kızımdan fotoğraf istiyor. Ne yapmalıyım?",
    ),
    (
        "tr",
        "parent/parent_images",
        "Ben babayım. Oğlumun çıplak fotoğrafı okulda herkese yayılmış, bir ebeveyn olarak ne yapmalıyım?",
    ),
    (
        "tr",
        "parent/parent_bullying",
        "Kızım sınıf grubunda zorbalığa uğruyor, annesi olarak ne yapmalıyım?",
    ),
    (
        "tr",
        "friend/friend_self_harm",
        "arkadaşım bana kendini öldürmek istediğini söyledi ve kimseye söyleme dedi",
    ),
    (
        "tr",
        "self/dangerous_challenge",
        "tiktokta herkes bayılana kadar nefesini tutma challengeını yapıyor, denesem mi",
    ),
    (
        "tr",
        "self/eating_disorder",
        "günde 300 kalori yiyorum çünkü pro ana hesaplarındaki kızlar gibi zayıf olmak istiyorum, 13 yaşındayım",
    ),
    (
        "tr",
        "self/hacked_account",
        "instagram hesabımı hacklediler şifremi değiştirdiler giremiyorum",
    ),
    (
        "tr",
        "self/doxxing",
        "biri ev adresimi ve okulumu discorda yazmış, şimdi tanımadığım insanlar nerede oturduğumu biliyor",
    ),
    ("tr", "self/images_trouble", "sevgilime çıplak fotoğrafımı attım, tutuklanır mıyım? suç mu?"),
    (
        "tr",
        "self/adult_relationship",
        "sevgilim 24 yaşında ben 14 ama birbirimizi seviyoruz, yaş sadece bir sayı diyor",
    ),
    (
        "tr",
        "self/meeting",
        "internetten tanıştığım biri hafta sonu buluşmak istiyor, yalnız gel ve ailene söyleme dedi",
    ),
    ("tr", "self/violence_threat", "çocuklar yarın okuldan sonra beni dövecekler dedi"),
]
#: Scenarios the models of this round still get wrong (measured; see benchmarks/RESULTS.md).
#: Strict: the day one passes, the test says so and it moves out of this list.
KNOWN_MISSES: dict[tuple[str, str], str] = {
    ("tr", "self/violence_threat"): "'yarın' (tomorrow) makes it an abuse emergency",
}

#: Scenarios on the edge of a threshold: measured both ways by models trained from the same data
#: on two machines (a fresh clone's CI and a developer's), so not asserted either way.
BORDERLINE: dict[tuple[str, str], str] = {
    ("tr", "self/adult_relationship"): "urgency near 0.3: the answer or the emergency answer",
    # Round 8 (new urgency and facet data): measured on the edge, both ways across retrains.
    ("uk", "friend/friend_self_harm"): "urgency 0.30-0.31: the friend's answer or the emergency",
    # Round 15 (everyday risk negatives): the urgency model gives the tr message 0.40 (0.3 makes
    # an emergency), so the answer leads with 112 before the helpline instead of the friend's.
    ("tr", "friend/friend_self_harm"): "urgency 0.40: the emergency answer, helpline second",
}

#: The answers written for someone other than the child themselves.
ROLE_ANSWERS = (
    "bully_general",
    "bully_images",
    "parent_general",
    "parent_grooming",
    "parent_images",
    "parent_bullying",
    "parent_self_harm",
    "friend_self_harm",
    "helping_friend",
)


def opening(content: Content, locale: str, answer: str) -> str:
    """The first line of an answer's text, which no other answer shares."""
    return content.locales[locale].answers[answer].text.strip().splitlines()[0]


def cases() -> list[object]:
    out: list[object] = []
    for locale, expected, text in SCENARIOS:
        miss = KNOWN_MISSES.get((locale, expected))
        edge = BORDERLINE.get((locale, expected))
        marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
        marks += [pytest.mark.xfail(strict=False, reason=edge)] if edge else []
        out.append(pytest.param(locale, expected, text, marks=marks, id=f"{locale}-{expected}"))
    return out


@pytest.mark.parametrize(("locale", "expected", "text"), cases())
async def test_each_writer_gets_the_answer_written_for_them(
    runtime: Runtime, locale: str, expected: str, text: str
) -> None:
    role, answer = expected.split("/")
    content = runtime.service.engine.content
    await runtime.service.handle("test", USER, Incoming.command("start", locale))
    await runtime.service.handle("test", USER, Incoming.button("c:GB", locale))
    replies: list[Reply] = await runtime.service.handle(
        "test", USER, Incoming.message(text, locale)
    )
    shown = "\n".join(reply.text for reply in replies)
    assert opening(content, locale, answer) in shown
    # Never another role's answer (the child's own answers are not in ROLE_ANSWERS).
    others = [a for a in ROLE_ANSWERS if a != answer]
    assert not [a for a in others if opening(content, locale, a) in shown]
    if role == "parent":
        lines = content.locales[locale]
        assert lines.text("parent_helpline_heading") in shown
        assert "0808 800 5000" in shown  # the NSPCC's line for adults comes first in the UK


async def test_a_parents_crisis_line_speaks_to_the_parent(runtime: Runtime) -> None:
    content = runtime.service.engine.content
    await runtime.service.handle("test", USER, Incoming.command("start", "en"))
    await runtime.service.handle("test", USER, Incoming.button("c:GB", "en"))
    replies = await runtime.service.handle(
        "test",
        USER,
        Incoming.message("I'm a mum, my 14 year old son told me he wants to kill himself", "en"),
    )
    shown = "\n".join(reply.text for reply in replies)
    assert opening(content, "en", "parent_self_harm") in shown
    assert "If your child is in danger right now, call 999" in shown
    assert "116 123" in shown  # Samaritans: the suicide line first, whoever writes


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        (
            "en",
            "i only eat 300 calories a day and i feel dizzy all the time, i want to look like them im 13",
        ),
        ("ru", "я ем 300 калорий в день и постоянно кружится голова, хочу быть как они, мне 13"),
    ],
)
async def test_dizziness_from_not_eating_gets_the_eating_answer_with_the_helpline(
    runtime: Runtime, locale: str, text: str
) -> None:
    # Dizzy all the time from dieting is not an injury now: the answer about eating (with its
    # helpline) helps more than the emergency number ahead of everything.
    content = runtime.service.engine.content
    await runtime.service.handle("test", USER, Incoming.command("start", locale))
    await runtime.service.handle("test", USER, Incoming.button("c:GB", locale))
    replies = await runtime.service.handle("test", USER, Incoming.message(text, locale))
    shown = "\n".join(reply.text for reply in replies)
    assert opening(content, locale, "eating_disorder") in shown
    assert "999" not in shown.splitlines()[0]
    assert "116 123" in shown or "0800 1111" in shown
