"""Country and organisation names: French ISO 3166 names from pycountry, plus curated aliases.

pycountry carries the maintained French translations of ISO 3166-1 (`Corée, République de`);
what it lacks lives in `data/countries.tsv`: demonyms and adjectives, short forms, capitals and
cities, agencies, international organisations, and exclusions (`-` in the code column) for
generated names that are common French words (`Réunion`, `Grenade`, `Maurice`).
"""

from __future__ import annotations

import gettext
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from newswire.core.text import normalise
from newswire.stages.classify.matcher import read_table

EXCLUDE = "-"


def aliases(curated: Path) -> list[tuple[str, str]]:
    """(code, alias) pairs: curated rows first, then unambiguous pycountry names."""
    rows = list(read_table(curated))
    excluded = {normalise(alias) for code, alias, *_ in rows if code == EXCLUDE}
    chosen = [(code, alias) for code, alias, *_ in rows if code != EXCLUDE]
    known = {normalise(alias) for _, alias in chosen}
    codes_by_name: dict[str, set[str]] = defaultdict(set)
    for code, name in french_country_names():
        codes_by_name[normalise(name)].add(code)
    for name, codes in sorted(codes_by_name.items()):
        # `Corée` would name both Koreas: an ambiguous short name is no evidence of either.
        if len(codes) == 1 and name not in excluded and name not in known:
            chosen.append((next(iter(codes)), name))
    return chosen


def french_country_names() -> Iterator[tuple[str, str]]:
    """Each country's French name, common and official names, and `Corée, République de`
    turned into `République de Corée` and `Corée`."""
    import pycountry

    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            english = getattr(country, attr, None)
            if not english:
                continue
            name = french.gettext(english)
            yield country.alpha_2, name
            if ", " in name:
                head, tail = name.split(", ", 1)
                yield country.alpha_2, f"{tail} {head}"
                yield country.alpha_2, head
