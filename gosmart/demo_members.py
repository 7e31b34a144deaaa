"""The demo member organizations: GO SMART's figures of 2019-06-19.

Pure data (standard library only, no imports from the app). On 2019-06-19 GO SMART had
151 members: 91 city members, 54 industry members, 5 academic / corporate-body members
and 1 honorary member. Applications opened on 2018-12-28; Taipei City, the founder and
first chair, is member number one.

Tuple shapes:

- ``CITIES``: ``(name_en, name_local, country, population, focus_areas)`` --
  ``name_local`` is the name in local script or local spelling, ``None`` when it equals
  ``name_en``; ``country`` an ISO 3166-1 alpha-2 code; ``population`` an int (rounded,
  about 2019) or ``None``; ``focus_areas`` a tuple of 1-3 entries of ``FOCUS_AREAS``.
  City names are real; populations are approximate.
- ``INDUSTRY``: ``(name, country, sectors, size, solutions)`` -- ``sectors`` a tuple of
  ``SECTORS``; ``size`` one of ``SIZES`` (employees); ``solutions`` one sentence.
  Company names are invented.
- ``ACADEMIC``: ``(name, name_local, country, kind, research_areas)`` -- ``kind`` one of
  ``ACADEMIC_KINDS``; ``research_areas`` a tuple of short phrases. Names are invented.
- ``HONORARY``: one dict (the one honorary member) with ``name``, ``title``, ``affiliation``, ``citation``, ``email``.
  The person is invented.

``member_since_dates(n)`` gives n dates spread evenly from 2018-12-28 to 2019-06-19.
"""
from datetime import date, timedelta

APPLICATIONS_OPENED = date(2018, 12, 28)
FIGURES_DATE = date(2019, 6, 19)
MEMBER_COUNTS = {"city": 91, "industry": 54, "academic": 5, "honorary": 1}  # 151 in all

FOCUS_AREAS = (
    "smart mobility",
    "smart energy",
    "e-government",
    "health care",
    "public safety",
    "education",
    "water",
    "environment",
)
_MOB, _ENE, _GOV, _HEA, _SAF, _EDU, _WAT, _ENV = FOCUS_AREAS

SECTORS = (
    "mobility",
    "energy",
    "health",
    "iot",
    "ai",
    "govtech",
    "water",
    "security",
    "fintech",
    "education",
    "buildings",
    "environment",
)
SIZES = ("1-49", "50-249", "250-999", "1000+")
ACADEMIC_KINDS = ("university", "research_institute", "corporate_body")

CITIES = (
    # Taiwan: all 22 local governments (6 special municipalities, 3 cities, 13 counties)
    ("Taipei City", "臺北市", "TW", 2646000, (_GOV, _MOB, _SAF)),
    ("New Taipei City", "新北市", "TW", 4004000, (_MOB, _SAF)),
    ("Taoyuan City", "桃園市", "TW", 2230000, (_MOB, _ENE)),
    ("Taichung City", "臺中市", "TW", 2814000, (_ENV, _MOB)),
    ("Tainan City", "臺南市", "TW", 1882000, (_ENE, _WAT)),
    ("Kaohsiung City", "高雄市", "TW", 2773000, (_ENE, _ENV, _MOB)),
    ("Keelung City", "基隆市", "TW", 368000, (_SAF, _WAT)),
    ("Hsinchu City", "新竹市", "TW", 447000, (_EDU, _GOV)),
    ("Chiayi City", "嘉義市", "TW", 268000, (_HEA,)),
    ("Hsinchu County", "新竹縣", "TW", 565000, (_EDU, _ENE)),
    ("Miaoli County", "苗栗縣", "TW", 546000, (_ENV,)),
    ("Changhua County", "彰化縣", "TW", 1273000, (_ENE, _HEA)),
    ("Nantou County", "南投縣", "TW", 494000, (_SAF, _ENV)),
    ("Yunlin County", "雲林縣", "TW", 681000, (_ENV, _WAT)),
    ("Chiayi County", "嘉義縣", "TW", 503000, (_HEA, _EDU)),
    ("Pingtung County", "屏東縣", "TW", 822000, (_WAT, _HEA)),
    ("Yilan County", "宜蘭縣", "TW", 455000, (_ENV, _MOB)),
    ("Hualien County", "花蓮縣", "TW", 327000, (_SAF, _HEA)),
    ("Taitung County", "臺東縣", "TW", 217000, (_EDU, _HEA)),
    ("Penghu County", "澎湖縣", "TW", 105000, (_ENE, _WAT)),
    ("Kinmen County", "金門縣", "TW", 139000, (_WAT,)),
    ("Lienchiang County", "連江縣", "TW", 13000, (_MOB, _GOV)),
    # Australia: Queensland councils (the LGAQ context)
    ("Brisbane", None, "AU", 1231000, (_MOB, _GOV, _ENV)),
    ("Gold Coast", None, "AU", 620000, (_MOB, _SAF)),
    ("Sunshine Coast", None, "AU", 320000, (_ENE, _ENV)),
    ("Moreton Bay", None, "AU", 459000, (_WAT, _ENV)),
    ("Logan", None, "AU", 326000, (_GOV, _EDU)),
    ("Ipswich", None, "AU", 223000, (_GOV, _MOB)),
    ("Townsville", None, "AU", 195000, (_ENE, _WAT)),
    ("Cairns", None, "AU", 166000, (_ENV, _SAF)),
    ("Toowoomba", None, "AU", 168000, (_WAT,)),
    ("Mackay", None, "AU", 117000, (_ENE,)),
    ("Rockhampton", None, "AU", 81000, (_WAT, _SAF)),
    ("Redland", None, "AU", 157000, (_ENV,)),
    ("Bundaberg", None, "AU", 96000, (_HEA, _WAT)),
    ("Fraser Coast", None, "AU", 106000, (_HEA, _ENV)),
    # England (United Kingdom)
    ("Manchester", None, "GB", 547000, (_MOB, _ENV)),
    ("Birmingham", None, "GB", 1141000, (_MOB, _HEA)),
    ("Leeds", None, "GB", 793000, (_GOV, _HEA)),
    ("Bristol", None, "GB", 463000, (_ENE, _ENV)),
    ("Milton Keynes", None, "GB", 269000, (_MOB, _ENE)),
    ("Sheffield", None, "GB", 582000, (_ENE,)),
    ("Liverpool", None, "GB", 498000, (_HEA, _SAF)),
    ("Newcastle upon Tyne", None, "GB", 302000, (_ENV, _EDU)),
    ("Nottingham", None, "GB", 331000, (_ENE, _MOB)),
    ("Peterborough", None, "GB", 202000, (_GOV,)),
    # France
    ("Paris", None, "FR", 2187000, (_MOB, _ENV, _GOV)),
    ("Lyon", None, "FR", 516000, (_MOB, _ENE)),
    ("Marseille", None, "FR", 862000, (_SAF, _WAT)),
    ("Bordeaux", None, "FR", 257000, (_ENV,)),
    ("Nantes", None, "FR", 309000, (_GOV, _ENE)),
    ("Nice", None, "FR", 342000, (_SAF, _MOB)),
    ("Toulouse", None, "FR", 479000, (_MOB,)),
    ("Lille", None, "FR", 233000, (_HEA, _EDU)),
    ("Rennes", None, "FR", 217000, (_GOV,)),
    ("Montpellier", None, "FR", 285000, (_WAT, _ENV)),
    # The Netherlands
    ("Amsterdam", None, "NL", 863000, (_MOB, _ENE, _GOV)),
    ("Rotterdam", None, "NL", 644000, (_WAT, _ENV)),
    ("The Hague", "Den Haag", "NL", 538000, (_GOV, _SAF)),
    ("Utrecht", None, "NL", 352000, (_MOB, _HEA)),
    ("Eindhoven", None, "NL", 231000, (_SAF, _ENE)),
    ("Groningen", None, "NL", 203000, (_ENE,)),
    ("Almere", None, "NL", 207000, (_ENV, _WAT)),
    ("Zwolle", None, "NL", 127000, (_WAT,)),
    ("Nijmegen", None, "NL", 176000, (_ENV, _EDU)),
    ("Arnhem", None, "NL", 159000, (_ENE, _MOB)),
    # Japan
    ("Fukuoka", "福岡市", "JP", 1588000, (_GOV, _MOB)),
    ("Naha", "那覇市", "JP", 317000, (_MOB, _SAF)),
    ("Yokohama", "横浜市", "JP", 3745000, (_ENE, _ENV)),
    ("Osaka", "大阪市", "JP", 2725000, (_HEA, _MOB)),
    ("Kobe", "神戸市", "JP", 1525000, (_SAF, _GOV)),
    ("Sapporo", "札幌市", "JP", 1970000, (_ENE,)),
    ("Sendai", "仙台市", "JP", 1090000, (_SAF, _WAT)),
    ("Kitakyushu", "北九州市", "JP", 940000, (_ENV, _ENE)),
    ("Okinawa City", "沖縄市", "JP", 142000, (_HEA,)),
    ("Urasoe", "浦添市", "JP", 115000, (_EDU, _GOV)),
    # Brazil
    ("Curitiba", None, "BR", 1933000, (_MOB, _ENV)),
    ("Sao Paulo", "São Paulo", "BR", 12176000, (_MOB, _SAF, _HEA)),
    ("Rio de Janeiro", None, "BR", 6718000, (_SAF, _GOV)),
    ("Recife", None, "BR", 1645000, (_GOV, _WAT)),
    ("Florianopolis", "Florianópolis", "BR", 500000, (_EDU, _ENV)),
    ("Porto Alegre", None, "BR", 1483000, (_GOV,)),
    # Others
    ("Quezon City", "Lungsod Quezon", "PH", 2936000, (_GOV, _SAF)),
    ("Chiang Mai", "เชียงใหม่", "TH", 127000, (_ENV, _MOB)),
    ("Kuala Lumpur", None, "MY", 1790000, (_MOB, _GOV)),
    ("Surabaya", None, "ID", 2874000, (_GOV, _ENV)),
    ("Da Nang", "Đà Nẵng", "VN", 1134000, (_SAF, _GOV)),
    ("Pune", "पुणे", "IN", 3124000, (_MOB, _WAT)),
    ("Busan", "부산광역시", "KR", 3414000, (_SAF, _ENE)),
    ("San Jose", None, "US", 1021000, (_ENE, _MOB)),
    ("Vilnius", None, "LT", 544000, (_GOV, _EDU)),
)

INDUSTRY = (
    # Taiwan
    ("Airbeacon Sensing Technologies Co., Ltd.", "TW", ("iot", "environment"), "50-249",
     "Low-cost air-quality micro-sensors and an open dashboard for city-wide monitoring."),
    ("Lumenpath Mobility Inc.", "TW", ("mobility", "ai"), "50-249",
     "Adaptive traffic-signal control that learns from intersection cameras."),
    ("Harborgrid Energy Co., Ltd.", "TW", ("energy", "buildings"), "250-999",
     "Demand-response and rooftop solar management for public buildings."),
    ("Civicloop Software Co., Ltd.", "TW", ("govtech",), "1-49",
     "A citizen service portal with case tracking and participatory-budgeting voting."),
    ("Tidewatch Water Analytics Co., Ltd.", "TW", ("water", "iot"), "1-49",
     "Leak detection in water mains from pressure and acoustic sensors."),
    ("Jadecare Health Systems Inc.", "TW", ("health", "ai"), "250-999",
     "AI triage and appointment routing for municipal hospitals."),
    ("Sentryfield AI Vision Co., Ltd.", "TW", ("security", "ai"), "1-49",
     "An AI electronic fence that detects intrusions at construction sites and riverbanks."),
    ("Bridgepulse Structural Monitoring Co., Ltd.", "TW", ("iot", "buildings"), "50-249",
     "Vibration and strain monitoring for bridges with alerts to maintenance crews."),
    ("Kitepark Parking Solutions Co., Ltd.", "TW", ("mobility", "iot"), "50-249",
     "On-street parking sensors with mobile payment and live occupancy maps."),
    ("Paylantern Fintech Co., Ltd.", "TW", ("fintech", "govtech"), "50-249",
     "One QR-code wallet for city fees, fines and utility bills."),
    ("Classkite Education Technology Co., Ltd.", "TW", ("education", "ai"), "1-49",
     "Adaptive learning platform for public primary and junior high schools."),
    ("Voltnest Battery Systems Co., Ltd.", "TW", ("energy", "mobility"), "1000+",
     "Battery-swap stations for electric scooters and city fleets."),
    ("Streetglow Lighting Technologies Co., Ltd.", "TW", ("energy", "iot"), "250-999",
     "Networked LED streetlights that dim on demand and report faults."),
    ("Dataferry Open Data Co., Ltd.", "TW", ("govtech", "ai"), "1-49",
     "Tools that clean, publish and visualize open government data."),
    ("Quietwave Acoustic Sensing Inc.", "TW", ("environment", "iot"), "1-49",
     "Noise maps from street-level acoustic sensors, with vehicle-noise detection."),
    ("Tenderhand Telecare Co., Ltd.", "TW", ("health", "iot"), "50-249",
     "Home telecare kits and remote vital-sign monitoring for elderly residents."),
    ("Busquill Transit Systems Co., Ltd.", "TW", ("mobility",), "250-999",
     "Real-time bus dispatch, arrival prediction and passenger counting."),
    ("Floodsight Resilience Co., Ltd.", "TW", ("water", "security"), "50-249",
     "Flood early warning from rain gauges, water-level sensors and forecasts."),
    ("Greenledger Carbon Analytics Co., Ltd.", "TW", ("environment", "fintech"), "1-49",
     "Carbon accounting and emissions reporting for city departments."),
    ("Pinecrest Building Automation Co., Ltd.", "TW", ("buildings", "energy"), "250-999",
     "Building management systems that cut heating, cooling and lighting energy use."),
    ("Lanternfish Drone Works Co., Ltd.", "TW", ("security", "iot"), "50-249",
     "Inspection drones for slopes, bridges and disaster sites."),
    ("Mosslight Biotech Diagnostics Inc.", "TW", ("health",), "50-249",
     "Rapid point-of-care tests deployed at community health stations."),
    ("Cloudterrace Systems Co., Ltd.", "TW", ("govtech", "iot"), "1000+",
     "A city IoT data platform that collects sensor data across departments."),
    ("Ferrowing Robotics Co., Ltd.", "TW", ("ai", "buildings"), "50-249",
     "Service robots for guidance and delivery in public buildings."),
    ("Saltmarsh Water Treatment Co., Ltd.", "TW", ("water", "environment"), "250-999",
     "Compact wastewater treatment with remote monitoring for small townships."),
    ("Peakstone Edge Computing Co., Ltd.", "TW", ("iot", "ai"), "1-49",
     "Edge gateways that run video analytics on site to protect privacy."),
    ("Twinmap Digital Twin Co., Ltd.", "TW", ("govtech", "buildings"), "50-249",
     "3D city models and digital twins for urban planning."),
    ("Kindlestep Elder Care Technologies Co., Ltd.", "TW", ("health", "iot"), "1-49",
     "Fall detection and wandering alerts for elder-care homes."),
    ("Cipherwall Cybersecurity Co., Ltd.", "TW", ("security", "govtech"), "250-999",
     "Security operations and penetration testing for government networks."),
    ("Ricefield Agri-Sensing Co., Ltd.", "TW", ("environment", "iot"), "1-49",
     "Soil and irrigation sensors for farmland on the urban fringe."),
    # France
    ("Vigiliane Structures SAS", "FR", ("iot", "buildings"), "50-249",
     "Structural health monitoring proven on power plants and landmark towers."),
    ("Citémobile Solutions SAS", "FR", ("mobility", "ai"), "250-999",
     "Multimodal journey planning and mobility-as-a-service for cities."),
    ("Énergiel Réseaux SAS", "FR", ("energy",), "1000+",
     "Smart-grid control for district heating and local renewable energy."),
    ("Hydrovia Analytique SARL", "FR", ("water",), "1-49",
     "Water-quality analytics from continuous river and network probes."),
    ("Santélien SAS", "FR", ("health", "govtech"), "50-249",
     "Shared health records between city clinics and social services."),
    ("Lumivoie SA", "FR", ("energy", "mobility"), "250-999",
     "Smart lighting and electric-vehicle charging built into street furniture."),
    ("Quartier Numérique SAS", "FR", ("govtech", "education"), "1-49",
     "Online consultation and civic education platforms for neighbourhoods."),
    ("Aérolys Capteurs SAS", "FR", ("environment", "iot"), "1-49",
     "Pollen and particulate sensors with public health alerts."),
    ("Sûreté Urbaine Systèmes SAS", "FR", ("security", "ai"), "50-249",
     "Crowd-flow analysis for large public events."),
    # Hong Kong
    ("Harbourlight Analytics Limited", "HK", ("ai", "govtech"), "50-249",
     "Predictive analytics for public service demand."),
    ("Junkboat Logistics Tech Limited", "HK", ("mobility", "iot"), "50-249",
     "Last-mile delivery routing and smart lockers in dense districts."),
    ("Jadeport Fintech Limited", "HK", ("fintech",), "250-999",
     "Contactless payment for transit, parking and public facilities."),
    ("Kowloon Sensor Works Limited", "HK", ("iot", "buildings"), "1-49",
     "Wireless sensors for lifts, pumps and plant rooms in high-rise estates."),
    ("Lionrock Health Informatics Limited", "HK", ("health", "ai"), "50-249",
     "Chronic-disease risk scoring from anonymized clinic records."),
    ("Tsingwave Energy Limited", "HK", ("energy", "buildings"), "250-999",
     "Energy audits and retrofits for commercial and public buildings."),
    ("Skyferry Smart Buildings Limited", "HK", ("buildings", "iot"), "1-49",
     "Occupancy-based ventilation and cleaning schedules for offices."),
    ("Shelterbay Security Systems Limited", "HK", ("security",), "50-249",
     "Typhoon and slope-failure alerting for residents and facility managers."),
    # Singapore
    ("Straitsgrid Energy Pte. Ltd.", "SG", ("energy",), "250-999",
     "Virtual power plants aggregating batteries and solar across districts."),
    ("Tembusu Mobility Pte. Ltd.", "SG", ("mobility", "ai"), "50-249",
     "On-demand shuttle routing for new towns and campuses."),
    ("Kampong Data Pte. Ltd.", "SG", ("govtech", "ai"), "1-49",
     "Data exchange platform that links agencies with consent management."),
    ("Bukitwave Water Technologies Pte. Ltd.", "SG", ("water", "environment"), "50-249",
     "Membrane filtration and water reuse for urban catchments."),
    ("Orchidcare Health Pte. Ltd.", "SG", ("health",), "50-249",
     "Teleconsultation and medication delivery for home-bound patients."),
    ("Sentinel Lane Security Pte. Ltd.", "SG", ("security", "ai"), "250-999",
     "Video analytics for transport hubs with privacy masking."),
    ("Chalkline EdTech Pte. Ltd.", "SG", ("education",), "1-49",
     "Coding and data-literacy curricula for schools and public servants."),
)

ACADEMIC = (
    ("Amsterdam Institute for Urban Innovation", "Amsterdams Instituut voor Stedelijke Innovatie",
     "NL", "research_institute",
     ("urban mobility", "circular economy", "living labs", "urban data")),
    ("Okinawa Smart Island Research Foundation", "沖縄スマートアイランド研究財団",
     "JP", "corporate_body",
     ("island energy systems", "sustainable tourism", "disaster resilience")),
    ("Tamsui River University of Science and Technology", "淡水河科技大學",
     "TW", "university",
     ("internet of things", "artificial intelligence", "smart healthcare")),
    ("Queensland Regional Smart Communities Council", None,
     "AU", "corporate_body",
     ("regional connectivity", "local government innovation", "water management")),
    ("Bordeaux School of Urban Engineering", "École d'ingénierie urbaine de Bordeaux",
     "FR", "university",
     ("urban planning", "building energy", "climate adaptation")),
)

HONORARY = {
    "name": "Graham A. Whitcombe",
    "title": "IoT consultant",
    "affiliation": "Independent IoT advisory; formerly Vice President, Asia, at IDC",
    "citation": (
        "For two decades of research and advice on the Internet of Things and smart "
        "cities across Asia, and for connecting cities with the industry that serves them."
    ),
    "email": "honorary@demo.gosmart.org",
}


def member_since_dates(n):
    """n dates spread evenly from 2018-12-28 to 2019-06-19 inclusive, ascending.

    The first is always 2018-12-28 (Taipei City's) and, for n > 1, the last 2019-06-19."""
    if n <= 0:
        return []
    if n == 1:
        return [APPLICATIONS_OPENED]
    span = (FIGURES_DATE - APPLICATIONS_OPENED).days
    return [APPLICATIONS_OPENED + timedelta(days=round(i * span / (n - 1))) for i in range(n)]
