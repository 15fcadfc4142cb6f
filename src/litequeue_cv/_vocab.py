"""Word lists the parser recognises: section headings, job-title nouns,
organisation words, institutions and degrees. General CV vocabulary, not tied
to any one template."""

from __future__ import annotations

import re

#: Canonical section -> headings as people write them, in English and in the common
#: European languages, Chinese and Japanese (matched after ``normalise_heading``).
_HEADINGS: dict[str, tuple[str, ...]] = {
    "contact": (
        "contact",
        "contacts",
        "contact details",
        "contact information",
        "contact info",
        "personal details",
        "personal information",
        "personal info",
        "personal data",
        "get in touch",
        "details",
        "info",
        "links",
        "online",
        "social",
        "profiles",
        "social media",
        "find me online",
        "coordonnées",
        "informations personnelles",
        "kontakt",
        "kontaktdaten",
        "persönliche daten",
        "persönliche angaben",
        "contacto",
        "datos personales",
        "datos de contacto",
        "contato",
        "dados pessoais",
        "contatti",
        "dati personali",
        "informazioni personali",
        "contactgegevens",
        "persoonlijke gegevens",
        "kontakt",
        "dane osobowe",
        "dane kontaktowe",
        "个人信息",
        "联系方式",
        "基本信息",
        "連絡先",
        "個人情報",
    ),
    "summary": (
        "summary",
        "profile",
        "professional summary",
        "about me",
        "about",
        "personal statement",
        "career summary",
        "career objective",
        "objective",
        "objectives",
        "professional profile",
        "executive summary",
        "overview",
        "career profile",
        "personal profile",
        "introduction",
        "summary of qualifications",
        "professional overview",
        "bio",
        "biography",
        "profil",
        "profil professionnel",
        "résumé",
        "à propos",
        "à propos de moi",
        "über mich",
        "zusammenfassung",
        "kurzprofil",
        "perfil",
        "perfil profesional",
        "resumen",
        "sobre mí",
        "acerca de mí",
        "perfil profissional",
        "resumo",
        "sobre mim",
        "objetivo",
        "profilo",
        "profilo professionale",
        "sommario",
        "chi sono",
        "profiel",
        "samenvatting",
        "over mij",
        "podsumowanie",
        "o mnie",
        "个人简介",
        "自我评价",
        "个人总结",
        "简介",
        "自我介绍",
        "职业目标",
        "自己pr",
        "自己紹介",
        "職務要約",
        "職歴要約",
    ),
    "work_history": (
        "experience",
        "professional experience",
        "work experience",
        "employment history",
        "work history",
        "employment",
        "career history",
        "relevant experience",
        "professional background",
        "career",
        "positions held",
        "professional history",
        "employment experience",
        "industry experience",
        "work",
        "experience history",
        "previous experience",
        "job history",
        "employment record",
        "professional employment",
        "internships",
        "internship experience",
        "experience and internships",
        "expérience",
        "expériences",
        "expérience professionnelle",
        "expériences professionnelles",
        "parcours professionnel",
        "berufserfahrung",
        "berufliche erfahrung",
        "beruflicher werdegang",
        "werdegang",
        "praktische erfahrung",
        "experiencia",
        "experiencia laboral",
        "experiencia profesional",
        "trayectoria profesional",
        "experiência",
        "experiência profissional",
        "experiência de trabalho",
        "histórico profissional",
        "esperienza",
        "esperienze",
        "esperienza lavorativa",
        "esperienze lavorative",
        "esperienza professionale",
        "esperienze professionali",
        "werkervaring",
        "ervaring",
        "professionele ervaring",
        "loopbaan",
        "doświadczenie",
        "doświadczenie zawodowe",
        "przebieg pracy",
        "historia zatrudnienia",
        "工作经历",
        "工作经验",
        "实习经历",
        "实习经验",
        "职业经历",
        "实习 项目经历",
        "实习 工作经历",
        "職歴",
        "職務経歴",
        "インターンシップ アルバイト",
        "アルバイト",
        "インターンシップ",
    ),
    "education": (
        "education",
        "academic background",
        "education and training",
        "qualifications",
        "academic qualifications",
        "educational background",
        "academic history",
        "education and qualifications",
        "studies",
        "academic record",
        "academics",
        "education history",
        "educational qualifications",
        "academic profile",
        "academic education",
        "formal education",
        "training and education",
        "formation",
        "formations",
        "éducation",
        "diplômes",
        "études",
        "ausbildung",
        "bildung",
        "bildungsweg",
        "studium",
        "schulbildung",
        "akademischer werdegang",
        "educación",
        "formación",
        "formación académica",
        "estudios",
        "educação",
        "formação",
        "formação acadêmica",
        "formação académica",
        "escolaridade",
        "istruzione",
        "formazione",
        "istruzione e formazione",
        "opleiding",
        "opleidingen",
        "onderwijs",
        "wykształcenie",
        "edukacja",
        "教育背景",
        "教育经历",
        "学历",
        "教育",
        "学歴",
    ),
    "skills": (
        "skills",
        "skill",
        "technical skills",
        "core competencies",
        "key skills",
        "competencies",
        "expertise",
        "areas of expertise",
        "skills and abilities",
        "technologies",
        "tools",
        "tech stack",
        "core skills",
        "hard skills",
        "soft skills",
        "key competencies",
        "skill set",
        "skillset",
        "it skills",
        "computer skills",
        "technical proficiencies",
        "tools and technologies",
        "strengths",
        "programming languages",
        "abilities",
        "professional skills",
        "skills and expertise",
        "skills summary",
        "technical expertise",
        "competences",
        "capabilities",
        "software",
        "skills and competencies",
        "skills and tech",
        "programming",
        "technical",
        "tech",
        "technology",
        "compétences",
        "compétences techniques",
        "savoir faire",
        "kenntnisse",
        "fähigkeiten",
        "fachkenntnisse",
        "kompetenzen",
        "it kenntnisse",
        "edv kenntnisse",
        "habilidades",
        "competencias",
        "conocimientos",
        "aptitudes",
        "competências",
        "conhecimentos",
        "competenze",
        "competenze tecniche",
        "capacità",
        "vaardigheden",
        "competenties",
        "kennis",
        "umiejętności",
        "kompetencje",
        "技能",
        "专业技能",
        "it 技能",
        "技术技能",
        "スキル",
        "経験 スキル",
        "技術スキル",
        "テクニカルスキル",
    ),
    "certifications": (
        "certifications",
        "certificates",
        "licenses and certifications",
        "licences and certifications",
        "certification",
        "licenses",
        "licences",
        "professional certifications",
        "accreditations",
        "credentials",
        "courses and certifications",
        "certifications and licenses",
        "certifications and training",
        "certificates and licenses",
        "licensure",
        "certificats",
        "zertifikate",
        "zertifizierungen",
        "certificaciones",
        "certificados",
        "certificações",
        "certificazioni",
        "certificati",
        "certificaten",
        "certificeringen",
        "certyfikaty",
        "certyfikacje",
        "证书",
        "资格证书",
        "资格认证",
        "資格",
        "免許 資格",
        "資格 免許",
    ),
    "languages": (
        "languages",
        "language skills",
        "language",
        "spoken languages",
        "language proficiency",
        "language proficiencies",
        "foreign languages",
        "langues",
        "sprachen",
        "sprachkenntnisse",
        "idiomas",
        "línguas",
        "lingue",
        "conoscenze linguistiche",
        "talen",
        "talenkennis",
        "języki",
        "języki obce",
        "znajomość języków",
        "语言",
        "语言能力",
        "外语",
        "語学",
        "言語",
        "語学力",
    ),
}

#: Well-known headings of other sections, kept under their own heading.
_OTHER: tuple[str, ...] = (
    "projects",
    "selected projects",
    "personal projects",
    "key projects",
    "side projects",
    "publications",
    "selected publications",
    "papers",
    "volunteering",
    "volunteer experience",
    "volunteer work",
    "voluntary work",
    "community involvement",
    "awards",
    "honours and awards",
    "honors and awards",
    "honours",
    "honors",
    "awards and honours",
    "awards and honors",
    "selected honors",
    "selected honours",
    "achievements",
    "key achievements",
    "accomplishments",
    "interests",
    "hobbies",
    "hobbies and interests",
    "interests and hobbies",
    "personal interests",
    "references",
    "referees",
    "activities",
    "extracurricular activities",
    "memberships",
    "professional memberships",
    "affiliations",
    "professional affiliations",
    "courses",
    "coursework",
    "relevant coursework",
    "significant coursework",
    "training",
    "conferences",
    "talks",
    "invited talks",
    "presentations",
    "patents",
    "research",
    "research experience",
    "teaching",
    "teaching experience",
    "leadership",
    "leadership experience",
    "campus involvement",
    "military service",
    "additional information",
    "portfolio",
    "exhibitions",
    "grants",
    "scholarships",
    "fellowships",
    "other",
    "miscellaneous",
    "other information",
    "misc",
    "projets",
    "centres d intérêt",
    "loisirs",
    "bénévolat",
    "références",
    "projekte",
    "interessen",
    "hobbys",
    "ehrenamt",
    "veröffentlichungen",
    "proyectos",
    "intereses",
    "publicaciones",
    "voluntariado",
    "referencias",
    "projetos",
    "interesses",
    "publicações",
    "progetti",
    "interessi",
    "pubblicazioni",
    "volontariato",
    "projecten",
    "interesses",
    "hobby s",
    "publicaties",
    "vrijwilligerswerk",
    "projekty",
    "zainteresowania",
    "publikacje",
    "wolontariat",
    "项目经历",
    "项目经验",
    "获奖情况",
    "荣誉奖项",
    "获奖经历",
    "其他",
    "兴趣爱好",
    "趣味",
    "志望動機",
    "特技",
)
#: Spoken languages, by their English and their own names (lower case), to tell a
#: "Languages" line of spoken languages from one of programming languages.
SPOKEN_LANGUAGES = frozenset(
    str.split(
        """
    english french german spanish portuguese italian dutch flemish polish czech slovak
    hungarian romanian bulgarian greek turkish russian ukrainian belarusian serbian croatian
    bosnian slovenian macedonian albanian lithuanian latvian estonian finnish swedish
    norwegian danish icelandic irish welsh gaelic catalan basque galician maltese luxembourgish
    arabic hebrew persian farsi dari pashto kurdish urdu hindi bengali bangla punjabi gujarati
    marathi tamil telugu kannada malayalam sinhala nepali chinese mandarin cantonese japanese
    korean vietnamese thai lao khmer burmese malay indonesian tagalog filipino swahili amharic
    somali yoruba igbo hausa zulu xhosa afrikaans armenian georgian azerbaijani kazakh uzbek
    mongolian tibetan latin esperanto sign asl bsl
    anglais français allemand espagnol italien portugais néerlandais chinois japonais arabe
    russe deutsch englisch französisch spanisch italienisch portugiesisch niederländisch
    polnisch russisch türkisch chinesisch japanisch inglés español francés alemán italiano
    portugués chino japonés inglês português francês alemão espanhol inglese francese
    tedesco spagnolo portoghese nederlands engels frans duits spaans polski angielski
    niemiecki francuski hiszpański rosyjski
    英语 英文 汉语 中文 普通话 粤语 日语 法语 德语 韩语 西班牙语 俄语 英語 日本語 中国語
    韓国語 フランス語 ドイツ語 スペイン語
    """
    )
)

#: Countries, in English, lower case: a contact line that is only one is a location.
COUNTRIES = frozenset(
    str.split(
        """
    usa;united states;united states of america;united kingdom;uk;england;scotland;wales;
    ireland;canada;mexico;brazil;argentina;chile;colombia;peru;france;germany;spain;portugal;
    italy;netherlands;belgium;luxembourg;switzerland;austria;poland;czech republic;czechia;
    slovakia;hungary;romania;bulgaria;greece;turkey;sweden;norway;denmark;finland;iceland;
    estonia;latvia;lithuania;ukraine;russia;israel;egypt;morocco;nigeria;kenya;south africa;
    india;pakistan;bangladesh;sri lanka;nepal;china;japan;south korea;korea;taiwan;hong kong;
    singapore;malaysia;indonesia;philippines;thailand;vietnam;australia;new zealand;
    united arab emirates;uae;saudi arabia;qatar
    """.replace("\n", ""),
        ";",
    )
)
COUNTRIES = frozenset(c.strip() for c in COUNTRIES if c.strip())

#: Nouns that end a job title (the head noun of "Senior Software Engineer").
ROLE_NOUNS = frozenset(
    [
        "engineer",
        "developer",
        "programmer",
        "manager",
        "analyst",
        "scientist",
        "designer",
        "researcher",
        "assistant",
        "executive",
        "strategist",
        "lead",
        "head",
        "director",
        "consultant",
        "specialist",
        "officer",
        "intern",
        "trainee",
        "architect",
        "administrator",
        "coordinator",
        "technician",
        "teacher",
        "lecturer",
        "professor",
        "tutor",
        "associate",
        "president",
        "vp",
        "founder",
        "cofounder",
        "co-founder",
        "owner",
        "partner",
        "representative",
        "advisor",
        "adviser",
        "supervisor",
        "editor",
        "writer",
        "author",
        "accountant",
        "controller",
        "auditor",
        "bookkeeper",
        "nurse",
        "midwife",
        "practitioner",
        "physician",
        "doctor",
        "surgeon",
        "therapist",
        "pharmacist",
        "dentist",
        "paramedic",
        "clerk",
        "cashier",
        "barista",
        "chef",
        "cook",
        "waiter",
        "waitress",
        "receptionist",
        "secretary",
        "agent",
        "broker",
        "buyer",
        "planner",
        "producer",
        "marketer",
        "salesperson",
        "recruiter",
        "generalist",
        "counsel",
        "lawyer",
        "attorney",
        "paralegal",
        "solicitor",
        "barrister",
        "economist",
        "statistician",
        "mathematician",
        "physicist",
        "chemist",
        "biologist",
        "psychologist",
        "librarian",
        "curator",
        "photographer",
        "illustrator",
        "animator",
        "journalist",
        "reporter",
        "translator",
        "interpreter",
        "operator",
        "mechanic",
        "electrician",
        "plumber",
        "carpenter",
        "welder",
        "driver",
        "pilot",
        "steward",
        "stewardess",
        "captain",
        "commander",
        "sergeant",
        "fellow",
        "postdoc",
        "candidate",
        "student",
        "apprentice",
        "volunteer",
        "mentor",
        "coach",
        "instructor",
        "trainer",
        "principal",
        "dean",
        "chair",
        "chairman",
        "chairwoman",
        "treasurer",
        "ceo",
        "cto",
        "cfo",
        "coo",
        "cio",
        "cmo",
        "ciso",
        "evangelist",
        "advocate",
        "owner",
        "superintendent",
        "inspector",
        "surveyor",
        "foreman",
        "labourer",
        "laborer",
        "worker",
        "scrum",
        "master",
        "hr",
        "ux",
        "ui",
        "qa",
        "sre",
        "devops",
        "server",
        "bartender",
        "hostess",
        "attendant",
        "lifeguard",
        "ambassador",
        "organizer",
        "organiser",
        "leader",
        "member",
        "internship",
    ]
)
#: Words that mark an organisation name rather than a person's role.
ORG_WORDS = frozenset(
    [
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "s.a.",
        "corp",
        "corporation",
        "co",
        "company",
        "group",
        "holdings",
        "partners",
        "bank",
        "hospital",
        "clinic",
        "trust",
        "council",
        "university",
        "college",
        "school",
        "institute",
        "labs",
        "lab",
        "studio",
        "studios",
        "agency",
        "systems",
        "solutions",
        "services",
        "technologies",
        "technology",
        "software",
        "consulting",
        "media",
        "foods",
        "pharma",
        "health",
        "healthcare",
        "insurance",
        "capital",
        "logistics",
        "energy",
        "retail",
        "telecom",
        "robotics",
        "games",
        "aerospace",
        "automotive",
        "industries",
        "ventures",
        "foundation",
        "association",
        "society",
        "network",
        "networks",
        "nhs",
        "ministry",
        "department",
        "government",
        "authority",
        "office",
        "centre",
        "center",
    ]
)
#: Words that mark a place of learning.
INSTITUTION_WORDS = re.compile(
    r"\b(univ\w*|college|institut\w*|school|academy|akademie|polytechnic|politecnico|"
    r"hochschule|[ée]cole|universidad|universit[àäé]\w*|conservato\w*|seminary|"
    r"kth|mit|eth|epfl|ucl|lse|iit|gymnasium|lyc[ée]e|faculty)\b|大学|学院|学校|高校",
    re.IGNORECASE,
)
#: Degree names, short and long, at the start of a phrase.
DEGREE = re.compile(
    r"^(?:(?:hono(?:u)?rs\s+)?(?:bachelor|master|doctor(?:ate)?|associate|licentiate)(?:'?s)?(?:\s+of\s+[a-z]+"
    r"(?:\s+(?:administration|engineering|science|arts|technology|philosophy|laws|education|"
    r"studies|management|commerce|"
    r"fine arts|music|design|architecture|nursing))?|\s+degree)?"
    r"|diploma|postgraduate\s+(?:diploma|certificate)|pgce|pgdip|higher national diploma|hnd"
    r"|b\.?\s?sc\.?|m\.?\s?sc\.?|b\.?\s?eng\.?|m\.?\s?eng\.?|b\.?\s?a\.?|m\.?\s?a\.?|mba|emba"
    r"|ph\.?\s?d\.?|d\.?\s?phil\.?|m\.?\s?phil\.?|m\.?\s?res\.?|md|jd|llb|llm|b\.?\s?s\.?"
    r"|m\.?\s?s\.?|bba|b\.?\s?com\.?|m\.?\s?com\.?|b\.?\s?tech\.?|m\.?\s?tech\.?|b\.?\s?ed\.?"
    r"|m\.?\s?ed\.?|b\.?\s?arch\.?|m\.?\s?arch\.?|bfa|mfa|a-?levels?|gcses?|abitur"
    r"|baccalaur\w+|licence|licenciatura|ged|high school(?: diploma)?"
    r"|diplom(?:-[a-zäöü]+)?|laurea(?: magistrale| triennale| specialistica)?|máster|mestrado"
    r"|grado|magister|licencjat|inżynier|ingénieur|doctorado|doutorado|dottorato)(?![\w])",
    re.IGNORECASE,
)
#: Chinese and Japanese degree names, after a status word such as 在读 ("studying for").
CJK_DEGREE = re.compile(
    r"^(?:在读|在讀)?(?P<degree>博士研究生|硕士研究生|博士|硕士|学士|本科|研究生|修士|専門士|准学士|短期大学士)"
)
#: Words for working away from an office, accepted as a job location.
REMOTE_WORDS = frozenset({"remote", "hybrid", "on-site", "onsite", "home-based", "worldwide"})


def normalise_heading(text: str) -> str:
    """Lower case, "&" as "and", punctuation and icons dropped, spaces collapsed."""
    t = text.casefold().replace("&", " and ").replace("+", " and ")
    t = re.sub(r"[^\w\s]|_", " ", t)
    return " ".join(t.split())


SECTION_HEADINGS: dict[str, frozenset[str]] = {
    key: frozenset(normalise_heading(h) for h in names) for key, names in _HEADINGS.items()
}
OTHER_HEADINGS = frozenset(normalise_heading(h) for h in _OTHER)


def _squeezed(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n.replace(" ", "") for n in names)


#: The same headings without spaces, to match letter-spaced ("E X P E R I E N C E")
#: or broken ("CE RTIFICATIONS", "edu cation") headings.
_SQUEEZED = {key: _squeezed(names) for key, names in SECTION_HEADINGS.items()}
_SQUEEZED_OTHER = _squeezed(OTHER_HEADINGS)
_ALL_NAMES = frozenset().union(*SECTION_HEADINGS.values(), OTHER_HEADINGS)
_BY_SQUEEZED = {name.replace(" ", ""): name for name in sorted(_ALL_NAMES)}

#: Key words of unlisted headings ("Relevant Work Experience", "Skills and Tech"), in
#: the order they are tried; "other" wins first so "Volunteer Experience" is not a job.
_KEYWORDS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "other",
        frozenset(
            {
                "volunteering",
                "research",
                "teaching",
                "leadership",
                "projects",
                "awards",
                "honors",
                "honours",
                "publications",
                "coursework",
                "involvement",
                "activities",
                "associations",
                "interests",
                "hobbies",
                "references",
            }
        ),
    ),
    (
        "work_history",
        frozenset(
            {
                "experience",
                "employment",
                "erfahrung",
                "berufserfahrung",
                "expérience",
                "expériences",
                "experiencia",
                "experiência",
                "esperienza",
                "esperienze",
                "ervaring",
                "werkervaring",
                "doświadczenie",
                "internships",
            }
        ),
    ),
    (
        "education",
        frozenset(
            {
                "education",
                "ausbildung",
                "formation",
                "formación",
                "formação",
                "istruzione",
                "opleiding",
                "wykształcenie",
                "educación",
                "educação",
            }
        ),
    ),
    (
        "certifications",
        frozenset(
            {
                "certifications",
                "certificates",
                "certification",
                "licenses",
                "licences",
                "zertifikate",
                "certificaciones",
                "certificações",
            }
        ),
    ),
    (
        "skills",
        frozenset(
            {
                "skills",
                "competencies",
                "expertise",
                "technologies",
                "kenntnisse",
                "compétences",
                "habilidades",
                "competencias",
                "competências",
                "competenze",
                "vaardigheden",
                "umiejętności",
                "proficiencies",
            }
        ),
    ),
)
#: Chinese and Japanese headings have no spaces: matched on the characters they contain.
_CJK_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("work_history", ("实习", "工作经", "職歴", "職務経歴", "就業")),
    ("other", ("项目", "获奖", "荣誉", "趣味", "爱好")),
    ("education", ("教育", "学历", "学歴")),
    ("skills", ("技能", "スキル")),
    ("languages", ("语言", "語学", "外语")),
    ("certifications", ("证书", "資格")),
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def respelled(heading: str) -> str:
    """A heading broken by stray spaces ("VOLUNTEERIN G") as the listed name it spells,
    in the heading's case; any other heading as written."""
    t = normalise_heading(heading)
    squeezed = t.replace(" ", "")
    if t in _ALL_NAMES or squeezed not in _BY_SQUEEZED:
        return heading
    name = _BY_SQUEEZED[squeezed]
    return name.upper() if heading.isupper() else name.capitalize()


def exact_section_key(text: str) -> str | None:
    """The canonical section (or ``"other"``) when the heading is a listed one."""
    t = normalise_heading(text)
    for key, names in SECTION_HEADINGS.items():
        if t in names:
            return key
    if t in OTHER_HEADINGS:
        return "other"
    squeezed = t.replace(" ", "")
    for key, names in _SQUEEZED.items():
        if squeezed in names:
            return key
    return "other" if squeezed in _SQUEEZED_OTHER else None


def _cjk_key(text: str) -> str | None:
    if not _CJK.search(text) or len(text) > 12:
        return None
    return next((key for key, marks in _CJK_KEYS if any(m in text for m in marks)), None)


def section_key(text: str) -> str | None:
    """The canonical section for a heading, ``"other"`` for a known other heading, else
    None. Unlisted headings are matched on their head word ("Relevant Work Experience",
    "Skills and Tech"); "Volunteer Experience" and its kind are listed as other sections."""
    exact = exact_section_key(text)
    if exact is not None:
        return exact
    words = normalise_heading(text).split()
    if not words or len(words) > 5:
        return None
    if words[-1] in {"language", "languages", "sprachen", "langues", "idiomas", "lingue"}:
        return "skills" if "programming" in words else "languages"
    heads = (words[0], words[-1]) if "and" in words else (words[-1],)
    for head in heads:
        for key, marks in _KEYWORDS:
            if head in marks:
                return key
    return _cjk_key("".join(words))
