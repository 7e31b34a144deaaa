from collections import Counter
from datetime import date

import pycountry

from gosmart import demo_members as dm


def test_counts_reproduce_the_figures_of_2019_06_19():
    assert len(dm.CITIES) == 91
    assert len(dm.INDUSTRY) == 54
    assert len(dm.ACADEMIC) == 5
    assert isinstance(dm.HONORARY, dict)
    assert dm.MEMBER_COUNTS == {"city": 91, "industry": 54, "academic": 5, "honorary": 1}
    assert sum(dm.MEMBER_COUNTS.values()) == 151


def test_taipei_city_comes_first():
    assert dm.CITIES[0][:4] == ("Taipei City", "臺北市", "TW", 2646000)


def test_names_are_unique():
    names = (
        [c[0] for c in dm.CITIES]
        + [i[0] for i in dm.INDUSTRY]
        + [a[0] for a in dm.ACADEMIC]
    )
    assert len(names) == len(set(names))


def test_country_codes_are_valid_and_in_the_named_countries():
    codes = [c[2] for c in dm.CITIES] + [i[1] for i in dm.INDUSTRY] + [a[2] for a in dm.ACADEMIC]
    for code in codes:
        assert pycountry.countries.get(alpha_2=code) is not None, code
    cities = Counter(c[2] for c in dm.CITIES)
    for code in ("TW", "AU", "GB", "FR", "NL", "JP", "BR"):
        assert cities[code] > 0
    assert cities.most_common(1)[0][0] == "TW"
    industry = Counter(i[1] for i in dm.INDUSTRY)
    assert set(industry) == {"TW", "FR", "HK", "SG"}
    assert industry.most_common(1)[0][0] == "TW"
    assert {"NL", "JP"} <= {a[2] for a in dm.ACADEMIC}


def test_city_fields():
    for name_en, name_local, country, population, focus in dm.CITIES:
        assert name_en and name_local != ""
        assert population is None or (isinstance(population, int) and population > 0)
        assert 1 <= len(focus) <= 3 and len(set(focus)) == len(focus)
        assert set(focus) <= set(dm.FOCUS_AREAS)


def test_industry_and_academic_vocabularies():
    for name, country, sectors, size, solutions in dm.INDUSTRY:
        assert sectors and set(sectors) <= set(dm.SECTORS)
        assert size in dm.SIZES
        assert solutions
    for name, name_local, country, kind, areas in dm.ACADEMIC:
        assert kind in dm.ACADEMIC_KINDS
        assert areas


def test_honorary_member():
    assert set(dm.HONORARY) >= {"name", "title", "affiliation", "citation", "email"}
    assert dm.HONORARY["email"] == "honorary@demo.gosmart.org"
    assert "IDC" in dm.HONORARY["affiliation"]


def test_member_since_dates():
    start, end = date(2018, 12, 28), date(2019, 6, 19)
    dates = dm.member_since_dates(151)
    assert len(dates) == 151
    assert dates[0] == start and dates[-1] == end
    assert all(start <= d <= end for d in dates)
    assert dates == sorted(dates)
    assert dm.member_since_dates(151) == dates
    assert dm.member_since_dates(1) == [start]
    assert dm.member_since_dates(0) == []
