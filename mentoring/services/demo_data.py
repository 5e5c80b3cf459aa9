"""The demonstration programme's data: its cities, accounts and the words of their profiles
(:mod:`mentoring.services.demo` loads them)."""
from __future__ import annotations

DEMO_PASSWORD = "demo-password-2026"  # development only; documented in the README
# .example is reserved (RFC 2606): mail can never reach anyone. Not .test: the e-mail validator of the
# sign-in form (email_validator) refuses .test as a "special-use" name, so .test accounts could not sign in.
DEMO_DOMAIN = "demo.mentoring.example"

# (name, country, mentor city?, languages when the country's GeoNames list would be misleading)
DEMO_CITIES: tuple[tuple[str, str, bool, tuple[str, ...] | None], ...] = (
    # Africa
    ("Dakar", "SN", False, ("fr", "wo")),
    ("Abidjan", "CI", False, None),
    ("Nairobi", "KE", False, ("en", "sw")),
    ("Kigali", "RW", True, ("rw", "en", "fr")),
    ("Cape Town", "ZA", True, ("en", "af", "xh")),
    ("Accra", "GH", False, None),
    ("Addis Ababa", "ET", False, ("am", "en")),
    ("Rabat", "MA", False, ("ar", "fr")),
    ("Tunis", "TN", False, ("ar", "fr")),
    ("Maputo", "MZ", False, None),
    ("Praia", "CV", False, None),
    # Asia-Pacific
    ("Seoul", "KR", True, ("ko", "en")),
    ("Jakarta", "ID", False, ("id", "en")),
    ("Surabaya", "ID", False, ("id", "jv")),
    ("Bangkok", "TH", False, None),
    ("Pune", "IN", False, ("mr", "hi", "en")),
    ("Kathmandu", "NP", False, None),
    ("Melbourne", "AU", True, None),
    ("Kaohsiung", "TW", True, ("zh", "en")),
    ("Davao", "PH", False, ("tl", "en")),
    # Eurasia
    ("Kazan", "RU", True, ("ru", "tt")),
    ("Almaty", "KZ", False, ("kk", "ru")),
    ("Tbilisi", "GE", False, ("ka", "en")),
    ("Yerevan", "AM", False, ("hy", "ru")),
    ("Bishkek", "KG", False, ("ky", "ru")),
    ("Baku", "AZ", False, None),
    ("Tashkent", "UZ", False, ("uz", "ru")),
    # Europe
    ("Lyon", "FR", True, None),
    ("Barcelona", "ES", True, ("ca", "es", "en")),
    ("Lisbon", "PT", True, None),
    ("Bordeaux", "FR", False, None),
    ("Ghent", "BE", True, ("nl", "fr", "en")),
    ("Bologna", "IT", False, None),
    ("Tallinn", "EE", True, ("et", "en", "ru")),
    ("Porto", "PT", False, None),
    ("Rotterdam", "NL", True, None),
    # Latin America
    ("Medellín", "CO", True, None),
    ("Montevideo", "UY", True, None),
    ("Mexico City", "MX", True, None),
    ("Curitiba", "BR", True, ("pt", "es")),
    ("Recife", "BR", False, ("pt",)),
    ("Quito", "EC", False, None),
    ("Rosario", "AR", False, None),
    ("Lima", "PE", False, None),
    ("San José", "CR", False, None),
    # Middle East & West Asia
    ("Istanbul", "TR", True, None),
    ("Amman", "JO", False, None),
    ("Beirut", "LB", False, ("ar", "fr", "en")),
    ("Dubai", "AE", True, ("ar", "en")),
    ("Ramallah", "PS", False, None),
    ("Gaziantep", "TR", False, None),
    ("Muscat", "OM", False, None),
    # North America
    ("Montréal", "CA", True, ("fr", "en")),
    ("Toronto", "CA", True, ("en", "fr")),
    ("Boston", "US", True, ("en", "es")),
    ("New York City", "US", False, ("en", "es")),
    ("Seattle", "US", False, None),
    ("Vancouver", "CA", False, ("en", "fr")),
    ("Québec", "CA", False, ("fr", "en")),
    ("Austin", "US", False, ("en", "es")),
)
# New cities waiting for a coordinator, so the verification queue has something to show.
PENDING = {("Ramallah", "PS"), ("Praia", "CV"), ("Bishkek", "KG")}
# Regions whose cities rarely work in English in international programmes (English added less often).
LESS_ENGLISH = {"latin_america"}

# (e-mail local part, display name, global role, city name or None, role in the city)
DEMO_USERS: tuple[tuple[str, str, str | None, str | None, str | None], ...] = (
    ("admin", "Ada Admin (demo)", "admin", None, None),
    ("coordinator", "Cora Coordinator (demo)", "coordinator", None, None),
    ("rep.lyon", "Lyon representative (demo)", None, "Lyon", "representative"),
    ("rep.dakar", "Dakar representative (demo)", None, "Dakar", "representative"),
    ("rep.medellin", "Medellín representative (demo)", None, "Medellín", "representative"),
    ("rep.montevideo", "Montevideo representative (demo)", None, "Montevideo", "representative"),
    ("rep.seoul", "Seoul representative (demo)", None, "Seoul", "representative"),
    ("rep.kigali", "Kigali representative (demo)", None, "Kigali", "representative"),
    ("rep.amman", "Amman representative (demo)", None, "Amman", "representative"),
    ("rep.tbilisi", "Tbilisi representative (demo)", None, "Tbilisi", "representative"),
    ("rep.montreal", "Montréal representative (demo)", None, "Montréal", "representative"),
    ("rep.praia", "Praia representative (demo)", None, "Praia", "representative"),
    ("mentor.lyon", "Lyon mentor (demo)", None, "Lyon", "mentor"),
    ("mentor.seoul", "Seoul mentor (demo)", None, "Seoul", "mentor"),
    ("mentor.medellin", "Medellín mentor (demo)", None, "Medellín", "mentor"),
    ("mentor.barcelona", "Barcelona mentor (demo)", None, "Barcelona", "mentor"),
)

TEXT_LANGUAGES = ("en", "fr", "es", "pt")
# The taxonomy file has en/fr/es labels; Portuguese-speaking demo cities need their own.
PORTUGUESE_AREAS = {
    "digital_strategy": "estratégia digital e agenda digital local",
    "open_data": "dados abertos e transparência",
    "e_participation": "participação cidadã e democracia eletrónica",
    "data_governance": "governação de dados e interoperabilidade",
    "govtech_procurement": "contratação pública de inovação e GovTech",
    "online_services": "serviços públicos online e balcão único",
    "digital_identity": "identidade digital e assinatura eletrónica",
    "digital_inclusion": "inclusão e literacia digital",
    "accessibility": "serviços acessíveis e multilingues",
    "broadband": "banda larga e conectividade pública",
    "cybersecurity": "cibersegurança e privacidade",
    "iot_platforms": "sensores, IoT e plataformas de dados urbanos",
    "municipal_it": "informática municipal, nuvem e serviços partilhados",
    "innovation_ecosystem": "ecossistema de inovação e laboratórios vivos",
    "digital_skills": "competências digitais e formação contínua",
    "local_business": "apoio digital ao comércio local e ao turismo",
    "mobility_data": "dados de mobilidade e sistemas inteligentes de transporte",
    "public_transport": "transporte público digital",
    "shared_mobility": "mobilidade partilhada e ativa",
    "energy": "eficiência energética e redes inteligentes",
    "environment_monitoring": "monitorização ambiental e ação climática",
    "waste_water": "gestão de resíduos e de água",
    "health_social": "saúde digital e serviços sociais",
    "public_safety": "segurança pública e gestão de emergências",
    "urban_planning": "planeamento urbano, SIG e gémeos digitais",
}
PRACTICES = {
    "en": ("{city} is known for its work on {a} and {b}. Our teams can share tools, tender documents and "
           "lessons learned, and host study visits."),
    "fr": ("{city} est reconnue pour son action en matière de {a} et de {b}. Nos équipes peuvent partager "
           "outils, cahiers des charges et retours d'expérience, et accueillir des visites d'étude."),
    "es": ("{city} es reconocida por su trabajo en {a} y {b}. Nuestros equipos pueden compartir herramientas, "
           "pliegos y lecciones aprendidas, y recibir visitas de estudio."),
    "pt": ("{city} é reconhecida pelo seu trabalho em {a} e {b}. As nossas equipas podem partilhar "
           "ferramentas, cadernos de encargos e lições aprendidas, e receber visitas de estudo."),
}
EARLY_PRACTICES = {
    "en": "{city} has started work on {a}: a first pilot runs in two districts.",
    "fr": "{city} a engagé un premier projet en matière de {a}, expérimenté dans deux quartiers.",
    "es": "{city} ha iniciado un primer proyecto de {a}, en prueba en dos barrios.",
    "pt": "{city} iniciou um primeiro projeto de {a}, em teste em dois bairros.",
}
NEEDS = {
    "en": "We are looking for a partner city to help us with {a} and {b}: a short diagnostic, then a roadmap.",
    "fr": "Nous cherchons une ville partenaire pour nous accompagner en matière de {a} et de {b} : "
          "un diagnostic rapide, puis une feuille de route.",
    "es": "Buscamos una ciudad socia que nos acompañe en {a} y {b}: un diagnóstico breve y luego una hoja "
          "de ruta.",
    "pt": "Procuramos uma cidade parceira que nos apoie em {a} e {b}: um diagnóstico breve e depois um roteiro.",
}


# (round name, created on, [(mentor, mentee, state)]); "withdrawn" pairs carry DEMO_WITHDRAW_REASON.
DEMO_HISTORY: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Digital cities — spring 2025 round", "2025-02-03", (
        ("Barcelona", "Dakar", "completed"), ("Seoul", "Jakarta", "completed"),
        ("Medellín", "Quito", "completed"), ("Lyon", "Tunis", "completed"),
        ("Kigali", "Addis Ababa", "completed"), ("Tallinn", "Tbilisi", "withdrawn"),
    )),
    ("Digital cities — autumn 2025 round", "2025-09-08", (
        ("Montevideo", "Rosario", "completed"), ("Cape Town", "Nairobi", "completed"),
        ("Rotterdam", "Nairobi", "completed"), ("Curitiba", "Recife", "completed"),
        ("Mexico City", "Medellín", "completed"), ("Kazan", "Almaty", "withdrawn"),
    )),
)
DEMO_WITHDRAW_REASON = "The mentee city's digital team changed after local elections; both cities agreed to stop."
DEMO_MEMBERS_SINCE = "2025-01-06"  # most demo cities joined then; a few joined in 2026 (the study's growth)
DEMO_NOTE = """# {mentee} learns {area} from {mentor}

## What we worked on

{mentee} wanted to move from first pilots to a city-wide approach to {area}. {mentor} shared its roadmap, \
tender documents and the lessons of its own first years.

## What changed

- A roadmap adopted by the city council, with a budget line for the first year.
- **Two staff trained** during a study visit to {mentor}.

## Advice for other cities

Start with one service that residents use every week, and measure it before and after.
"""
