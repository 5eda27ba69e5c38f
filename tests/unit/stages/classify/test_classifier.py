from __future__ import annotations

import pytest

from newswire.core.model import Article, Kind
from newswire.core.text import normalise
from newswire.stages.classify import gazetteer
from newswire.stages.classify.classifier import Classifier
from newswire.stages.classify.matcher import PhraseMatcher, read_table
from newswire.stages.classify.nlp import PlainAnalyzer, Token
from newswire.stages.parse.page import parse_page
from tests.conftest import SEEDS, main_labels

DATA = SEEDS.parent / "newswire" / "stages" / "classify" / "data"

LABELS = main_labels()


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_data(nlp_model="none")


@pytest.mark.parametrize("name", sorted(LABELS))
def test_main_articles_match_the_labels_exactly(classifier: Classifier, name: str) -> None:
    article = parse_page((SEEDS / name).read_text(encoding="utf-8")).article
    result = classifier.classify(article)
    assert set(result.partner_countries) == LABELS[name]["partner_countries"]
    assert set(result.themes) == LABELS[name]["themes"]
    labels = set(result.partner_countries) | set(result.themes)
    assert {e.label for e in result.evidence} == labels  # every label has evidence


def test_home_country_is_never_a_partner(classifier: Classifier) -> None:
    article = Article(
        Kind.ARTICLE, "Le Vietnam renforce sa police", "Hanoi, le ministère vietnamien."
    )
    assert classifier.classify(article).partner_countries == ()


def test_passing_mention_does_not_outrank_the_partner(classifier: Classifier) -> None:
    article = Article(
        Kind.ARTICLE,
        "Vietnam et Laos renforcent leur coopération",
        "Les polices vietnamienne et laotienne coopèrent.",
        body="Une réunion a eu lieu, comme avec Interpol l'an dernier.",
    )
    assert classifier.classify(article).partner_countries == ("LA",)


def test_body_only_country_needs_repeated_mentions(classifier: Classifier) -> None:
    once = Article(
        Kind.ARTICLE, "Réunion sur la sécurité", "Un chapeau.", body="Une délégation du Japon."
    )
    twice = Article(
        Kind.ARTICLE,
        "Réunion sur la sécurité",
        "Un chapeau.",
        body="Une délégation du Japon. Le Japon a signé.",
    )
    assert classifier.classify(once).partner_countries == ()
    assert classifier.classify(twice).partner_countries == ("JP",)


def test_teasers_are_classified_on_their_own_text(classifier: Classifier) -> None:
    page = parse_page((SEEDS / "000_f63c9966fde575a3.txt").read_text(encoding="utf-8"))
    singapore = classifier.classify(page.teasers[0])
    assert singapore.partner_countries == ("SG",)
    assert "KR" not in singapore.partner_countries


def _tokens(text: str):
    return PlainAnalyzer().analyse([text])[0].tokens


def test_matcher_prefers_the_longest_phrase_and_prefixes() -> None:
    matcher = PhraseMatcher(
        [("KR", 1.0, "coreen*"), ("KP", 1.0, "nord coreen*"), ("LA", 1.0, "laotien*")]
    )
    tokens = _tokens("Les Nord-Coréennes et les Laotiens, un Coréen")
    found = [(m.label, m.text) for m in matcher.find(tokens)]
    assert found == [("KP", "nord coreennes"), ("LA", "laotiens"), ("KR", "coreen")]


def test_matcher_matches_a_vocabulary_lemma_against_an_inflected_word() -> None:
    matcher = PhraseMatcher([("drugs", 2.0, "saisie de drogue")])
    inflected = (Token("saisies", "saisie"), Token("de", "de"), Token("drogues", "drogue"))
    assert [m.text for m in matcher.find(inflected)] == ["saisies de drogues"]
    assert list(matcher.find(_tokens("saisies de drogues"))) == []  # no lemmas, no match


def test_gazetteer_takes_french_names_from_pycountry_and_drops_ambiguous_ones() -> None:
    aliases = gazetteer.aliases(DATA / "countries.tsv")
    by_alias: dict[str, set[str]] = {}
    for code, alias in aliases:
        by_alias.setdefault(normalise(alias), set()).add(code)
    assert by_alias["kirghizistan"] == {"KG"}  # not curated: from ISO 3166 in French
    assert by_alias["republique de coree"] == {"KR"}
    assert "congo" not in by_alias  # both Congos are "Congo, République ..."
    assert by_alias["coree"] == {"KR"}  # curated: the wire says Corée for the South
    assert "reunion" not in by_alias and "grenade" not in by_alias  # common French words


def test_a_vietnamese_province_is_not_a_foreign_country(classifier: Classifier) -> None:
    article = Article(Kind.TEASER, "Lao Cai améliore l'accès à l'éducation", "Dans Lao Cai.")
    assert classifier.classify(article).partner_countries == ()


def test_words_of_an_organisation_name_are_not_themes(classifier: Classifier) -> None:
    article = Article(
        Kind.TEASER,
        "L'Office des Nations unies contre la drogue et le crime salue le Vietnam",
        "Le représentant de l'Office des Nations unies contre la drogue et le crime à Hanoi.",
    )
    result = classifier.classify(article)
    assert result.partner_countries == ("UN",)
    assert result.themes == ()


def test_themes_carry_scores_and_iptc_codes(classifier: Classifier) -> None:
    article = parse_page((SEEDS / "000_f63c9966fde575a3.txt").read_text("utf-8")).article
    result = classifier.classify(article)
    scores = {s.label: s for s in result.scores}
    assert set(scores) == set(result.partner_countries) | set(result.themes)
    assert scores["drugs"].iptc == "medtop:02000000" and scores["drugs"].score >= 2
    assert scores["KR"].iptc is None
    assert [s.label for s in result.scores if s.iptc] == list(result.themes)  # strongest first


def test_a_short_article_keeps_only_its_main_themes(classifier: Classifier) -> None:
    teaser = Article(
        Kind.TEASER,
        "Promouvoir la diplomatie vietnamienne",
        "La diplomatie et les relations diplomatiques, avec la défense en coordination.",
    )
    assert classifier.classify(teaser).themes == ("diplomacy",)


def test_without_a_model_there_are_no_entities(classifier: Classifier) -> None:
    article = Article(Kind.TEASER, "Tô Lâm reçoit Vilay Lakhamphong", "À Hanoi.")
    assert classifier.nlp_model == "none"
    assert classifier.classify(article).entities == ()


def test_every_theme_term_names_one_theme() -> None:
    """A term under two themes was decided by hash order: one run said cybercrime for
    "cybersécurité", the next technology."""
    terms = [row[2] for row in read_table(DATA / "themes.tsv")]
    assert sorted(t for t in set(terms) if terms.count(t) > 1) == []


def test_drug_trafficking_is_drugs_and_people_trafficking_is_trafficking(
    classifier: Classifier,
) -> None:
    """docs/annotation.md: trafficking is of people; the drug trade is `drugs`."""
    drugs = Article(Kind.TEASER, "Démantèlement d'un réseau de trafic de drogue", "")
    people = Article(Kind.TEASER, "Lutte contre le trafic de drogue et d'êtres humains", "")
    drug_themes, people_themes = (r.themes for r in classifier.classify_many([drugs, people]))
    assert "drugs" in drug_themes and "trafficking" not in drug_themes
    assert {"drugs", "trafficking"} <= set(people_themes)


def test_a_body_name_after_a_partner_cue_is_a_party(classifier: Classifier) -> None:
    """docs/annotation.md: an organisation Vietnam works through is a partner, even named once
    in the body beside the headline's partner."""
    body = "Les deux parties coordonneront leurs enquêtes via l'Organisation internationale "
    body += "de police criminelle."
    article = Article(
        Kind.ARTICLE, "Vietnam-Russie : coopération policière", "Accord signé à Moscou.", body
    )
    assert classifier.classify(article).partner_countries == ("RU", "INT")
    passing = Article(Kind.ARTICLE, article.title, article.lede, "Un rapport d'Interpol cite.")
    assert classifier.classify(passing).partner_countries == ("RU",)


def test_a_place_in_the_title_is_not_a_partner_by_itself(classifier: Classifier) -> None:
    """A destination ("au Cambodge") names where victims went, not who cooperated."""
    title = "Sept victimes introduites clandestinement au Cambodge"
    lede = "La police de Tay Ninh a ouvert une enquête pour traite d'êtres humains."
    assert classifier.classify(Article(Kind.ARTICLE, title, lede)).partner_countries == ()
    party = Article(Kind.ARTICLE, "Le Vietnam et le Cambodge luttent contre la traite", lede)
    assert classifier.classify(party).partner_countries == ("KH",)


def test_each_country_of_a_list_of_parties_is_a_partner(classifier: Classifier) -> None:
    """docs/annotation.md: each country a multilateral cooperation names as taking part; not
    an organisation's members listed to say what it is."""
    title = "Réunion sur le contrôle des drogues"
    with_home = "Les délégations du Cambodge, de Thaïlande, de Chine et du Vietnam se sont réunies."
    got = classifier.classify(Article(Kind.ARTICLE, title, "Bangkok.", with_home))
    assert set(got.partner_countries) == {"KH", "TH", "CN"}
    cued = "Ont pris part les huit pays partenaires (Australie, Chine, Inde et Japon)."
    got = classifier.classify(Article(Kind.ARTICLE, "L'ASEAN élargie", "Hanoï.", cued))
    assert {"AU", "CN", "IN", "JP"} <= set(got.partner_countries)
    members = "L'ASEAN et ses pays membres (Cambodge, Laos, Thaïlande et Vietnam) ont signé."
    got = classifier.classify(Article(Kind.ARTICLE, "Le Vietnam et l'ASEAN", "Hanoï.", members))
    assert got.partner_countries == ("ASEAN",)
    two = "Les délégations du Cambodge et de Thaïlande ont assisté."
    got = classifier.classify(Article(Kind.ARTICLE, "Le Vietnam et le Laos", "Hanoï.", two))
    assert got.partner_countries == ("LA",)


def test_a_meeting_city_is_a_place_and_counterparts_listed_are_parties(
    classifier: Classifier,
) -> None:
    """docs/annotation.md: the venue is not a partner ("à Kuala Lumpur, en Malaisie"), and the
    counterparts Vietnam's police worked with are, even named as adjectives in a list."""
    title = "Conférence de l'ASEAN sur la criminalité transnationale"
    lede = "La conférence a eu lieu mercredi à Kuala Lumpur, en Malaisie."
    got = classifier.classify(Article(Kind.ARTICLE, title, lede))
    assert got.partner_countries == ("ASEAN",)
    body = (
        "Les forces de l'ordre du Vietnam ont échangé avec leurs confrères chinois, japonais et "
        "sud-coréens des informations."
    )
    got = classifier.classify(Article(Kind.ARTICLE, title, lede, body))
    assert set(got.partner_countries) == {"ASEAN", "CN", "JP", "KR"}


def test_a_list_of_a_relationships_fields_gives_no_theme(classifier: Classifier) -> None:
    """docs/annotation.md, "Lists": kinds of crime on an agenda are themes, unless the list
    mixes them with other sectors (a relationship's fields)."""
    title = "Dialogue ASEAN - Etats-Unis"
    agreed = (
        "Les participants ont convenu de privilégier leur coopération dans la lutte contre le "
        "terrorisme, la traite des êtres humains, la cybersécurité, le commerce, "
        "l'investissement, l'éducation."
    )
    got = classifier.classify(Article(Kind.ARTICLE, title, "", agreed))
    assert not {"terrorism", "trafficking", "cybercrime", "economy", "education"} & set(got.themes)
    agenda = (
        "Les délégués discuteront de la lutte contre le terrorisme, la traite des êtres humains "
        "et la cybersécurité."
    )
    got = classifier.classify(Article(Kind.ARTICLE, title, "", agenda))
    assert {"terrorism", "trafficking", "cybercrime"} <= set(got.themes)


def test_a_counterpart_named_once_in_the_body_is_a_partner(classifier: Classifier) -> None:
    """docs/annotation.md: "...a reçu l'ambassadeur du Japon" under a headline that names no
    country; the same for a ministry, a police force, a secretariat or a side ("la partie
    chinoise")."""
    title = "Le ministre de la Sécurité publique reçoit un ambassadeur"
    body = "Le ministre a reçu l'ambassadeur du Japon à Hanoi."
    assert classifier.classify(Article(Kind.ARTICLE, title, "", body)).partner_countries == ("JP",)
    body = "Le général a reçu le chef de la police du Laos."
    assert classifier.classify(Article(Kind.ARTICLE, title, "", body)).partner_countries == ("LA",)
    body = "La partie chinoise a proposé de renforcer l'échange d'informations."
    assert classifier.classify(Article(Kind.ARTICLE, title, "", body)).partner_countries == ("CN",)
    body = "Il a reçu le vice-ministre de la Sécurité publique du Laos."
    assert classifier.classify(Article(Kind.ARTICLE, title, "", body)).partner_countries == ("LA",)


@pytest.mark.parametrize(
    ("adjective", "code"),
    [("mongol", "MN"), ("kazakh", "KZ"), ("bruneien", "BN"), ("nippon", "JP"), ("serbe", "RS")],
)
def test_a_partner_named_by_its_adjective_alone(
    classifier: Classifier, adjective: str, code: str
) -> None:
    """Pages name the counterpart by nationality ("le ministre mongol de la Justice")."""
    article = Article(Kind.ARTICLE, f"Le ministre {adjective} reçu à Hanoi", "")
    assert classifier.classify(article).partner_countries == (code,)


@pytest.mark.parametrize(
    ("title", "body", "partners"),
    [
        (  # dialogue partners, some words after their cue
            "31e conférence des chefs de la police de l'ASEAN",
            "Elle a réuni les représentants des pays membres de l'ASEAN et des partenaires de "
            "dialogue dont les forces de police d'Australie, de Chine, du Japon, de R. de Corée.",
            {"ASEAN", "AU", "CN", "JP", "KR"},
        ),
        (  # a list whose first name follows a party cue
            "Le Vietnam mène une lutte sans merci contre la drogue",
            "La délégation vietnamienne a eu des échanges avec des représentants de l'Indonésie, "
            "du Cambodge, de la Thaïlande et des États-Unis.",
            {"ID", "KH", "TH", "US"},
        ),
        (  # nationality adjectives after a party cue
            "Conférence sur la criminalité transnationale",
            "Les polices chinoise, japonaise et sud-coréenne ont partagé leurs expériences.",
            {"CN", "JP", "KR"},
        ),
        (  # the three of ASEAN+3
            "L'ASEAN adopte un plan d'action contre le terrorisme",
            "Au cours de la 9e consultation de l'AMMTC+3 (Chine, Japon et République de Corée), "
            "les ministres ont procédé à un échange de vues.",
            {"ASEAN", "CN", "JP", "KR"},
        ),
        (  # the parties of a cooperation "between" them
            "Réunion ministérielle sur la criminalité transnationale",
            "Le ministre a souligné l'importance du mécanisme de coopération entre l'ASEAN et la "
            "Chine, la République de Corée et le Japon.",
            {"ASEAN", "CN", "KR", "JP"},
        ),
        (  # the governments agreements were signed with
            "Huit accords contre la drogue",
            "Le Vietnam a signé des accords avec les gouvernements du Cambodge, du Laos, de la "
            "Hongrie et des États-Unis.",
            {"KH", "LA", "HU", "US"},
        ),
        (  # a list going on with "ceux de"
            "Conférence des chefs de police de l'ASEAN",
            "Elle réunit les représentants des pays de dialogue - Japon, Chine et Australie -, "
            "ceux d'Interpol et de l'Union européenne.",
            {"ASEAN", "JP", "CN", "AU", "INT", "EU"},
        ),
        (  # two names after a party cue
            "Le Vietnam intensifie la lutte contre la drogue",
            "Il coordonne ses enquêtes par l'intermédiaire de l'ASEAN et d'Interpol.",
            {"ASEAN", "INT"},
        ),
    ],
)
def test_the_countries_a_list_names_as_taking_part_are_parties(
    classifier: Classifier, title: str, body: str, partners: set[str]
) -> None:
    """docs/annotation.md: each country named as taking part in a multilateral cooperation."""
    got = classifier.classify(Article(Kind.ARTICLE, title, "", body))
    assert set(got.partner_countries) == partners


@pytest.mark.parametrize(
    ("agency", "code"),
    [("la JICA", "JP"), ("la KOICA", "KR"), ("la DEA", "US"), ("l'OIM", "UN"), ("le BKA", "DE")],
)
def test_a_partner_named_by_its_agency(classifier: Classifier, agency: str, code: str) -> None:
    article = Article(Kind.ARTICLE, f"Le Vietnam et {agency} coopèrent", "")
    assert classifier.classify(article).partner_countries == (code,)


def test_crime_related_to_drugs_is_drugs(classifier: Classifier) -> None:
    """docs/annotation.md: "la criminalité liée à la drogue" is `drugs`; `crime` needs crime
    of its own (organised, transnational...)."""
    title = "Le Vietnam et le Laos luttent contre la criminalité liée à la drogue"
    themes = classifier.classify(Article(Kind.ARTICLE, title, "")).themes
    assert "drugs" in themes and "crime" not in themes
    title = "Le Vietnam et le Laos luttent contre la criminalité transnationale et la drogue"
    assert {"drugs", "crime"} <= set(classifier.classify(Article(Kind.ARTICLE, title, "")).themes)


@pytest.mark.parametrize(
    ("title", "lede", "given", "not_given"),
    [
        (  # illegal immigration is trafficking (docs/annotation.md), not border management
            "Lutte contre l'immigration illégale vers l'Australie",
            "Les polices coopèrent contre les réseaux.",
            {"trafficking"},
            {"border"},
        ),
        (  # the ministry's name since 2025 is no evidence of crime
            "Le ministre de la Police reçoit son homologue cubain",
            "Les deux parties renforceront leur coopération en matière de cybersécurité.",
            {"cybercrime"},
            {"crime"},
        ),
        (  # a leader's title is who speaks, not Vietnam's party affairs
            "Le secrétaire général du Parti communiste du Vietnam en visite officielle en France",
            "Les deux pays élèvent leurs relations diplomatiques.",
            {"diplomacy"},
            {"politics"},
        ),
        (  # a peacekeeping field hospital is the mission's, not health
            "Le Vietnam déploie un hôpital de campagne au Soudan du Sud",
            "Les Casques bleus vietnamiens y servent la mission de l'ONU.",
            {"defence"},
            {"health"},
        ),
        (  # a military hospital's doctors treating villagers is health
            "Des médecins de l'hôpital militaire 103 soignent des habitants",
            "Ils offrent des consultations et des médicaments gratuits.",
            {"health"},
            {"defence"},
        ),
        (  # "cyber-sécurité", hyphenated; fires and rescue are disasters
            "Formation en cyber-sécurité et en prévention des incendies",
            "Les deux ministères coopèrent.",
            {"cybercrime", "disaster"},
            set(),
        ),
        (  # "ambassadeurs de la paix" are peacekeepers, not diplomats
            "Les Casques bleus, ambassadeurs de la paix",
            "Ils partent en mission de maintien de la paix.",
            {"defence"},
            {"diplomacy"},
        ),
    ],
)
def test_theme_vocabulary_follows_the_guide(
    classifier: Classifier, title: str, lede: str, given: set[str], not_given: set[str]
) -> None:
    themes = set(classifier.classify(Article(Kind.ARTICLE, title, lede)).themes)
    assert given <= themes and not (not_given & themes), themes


def test_an_organisation_worked_through_by_its_channel_is_a_party(classifier: Classifier) -> None:
    body = "La coopération, notamment via le canal Interpol, a progressé."
    article = Article(Kind.ARTICLE, "Le Vietnam et Singapour renforcent leur coopération", "", body)
    assert classifier.classify(article).partner_countries == ("SG", "INT")
