"""Word lists the parser recognises: section headings, job-title nouns,
organisation words, institutions and degrees. General CV vocabulary, not tied
to any one template."""

from __future__ import annotations

import re

#: Canonical section -> headings (normalised: lower case, "&" as "and", no punctuation).
SECTION_HEADINGS: dict[str, frozenset[str]] = {
    "contact": frozenset(
        {
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
        }
    ),
    "summary": frozenset(
        {
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
        }
    ),
    "work_history": frozenset(
        {
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
        }
    ),
    "education": frozenset(
        {
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
        }
    ),
    "skills": frozenset(
        {
            "skills",
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
        }
    ),
    "certifications": frozenset(
        {
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
        }
    ),
    "languages": frozenset(
        {
            "languages",
            "language skills",
            "language",
            "spoken languages",
            "language proficiency",
            "language proficiencies",
            "foreign languages",
        }
    ),
}

#: Well-known headings of other sections, kept under their own heading.
OTHER_HEADINGS = frozenset(
    {
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
        "training",
        "conferences",
        "talks",
        "presentations",
        "patents",
        "research",
        "research experience",
        "teaching",
        "teaching experience",
        "leadership",
        "leadership experience",
        "military service",
        "additional information",
        "portfolio",
        "exhibitions",
        "grants",
        "scholarships",
        "fellowships",
        "other",
        "miscellaneous",
        "links",
        "online",
        "social",
    }
)

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
    r"kth|mit|eth|epfl|ucl|lse|iit|gymnasium|lyc[ée]e|faculty)\b",
    re.IGNORECASE,
)
#: Degree names, short and long, at the start of a phrase.
DEGREE = re.compile(
    r"^(?:(?:bachelor|master|doctor(?:ate)?|associate|licentiate)(?:'?s)?(?:\s+of\s+[a-z]+"
    r"(?:\s+(?:administration|engineering|science|arts|technology|philosophy|laws|education|"
    r"fine arts|music|design|architecture|nursing))?|\s+degree)?"
    r"|diploma|postgraduate\s+(?:diploma|certificate)|pgce|pgdip|higher national diploma|hnd"
    r"|b\.?\s?sc\.?|m\.?\s?sc\.?|b\.?\s?eng\.?|m\.?\s?eng\.?|b\.?\s?a\.?|m\.?\s?a\.?|mba|emba"
    r"|ph\.?\s?d\.?|d\.?\s?phil\.?|m\.?\s?phil\.?|m\.?\s?res\.?|md|jd|llb|llm|b\.?\s?s\.?"
    r"|m\.?\s?s\.?|bba|b\.?\s?com\.?|m\.?\s?com\.?|b\.?\s?tech\.?|m\.?\s?tech\.?|b\.?\s?ed\.?"
    r"|m\.?\s?ed\.?|b\.?\s?arch\.?|m\.?\s?arch\.?|bfa|mfa|a-?levels?|gcses?|abitur"
    r"|baccalaur\w+|licence|licenciatura|ged|high school diploma)(?![\w])",
    re.IGNORECASE,
)
#: Words for working away from an office, accepted as a job location.
REMOTE_WORDS = frozenset({"remote", "hybrid", "on-site", "onsite", "home-based", "worldwide"})


def normalise_heading(text: str) -> str:
    """Lower case, "&" as "and", punctuation dropped, spaces collapsed."""
    t = text.casefold().replace("&", " and ").replace("+", " and ")
    t = re.sub(r"[^\w\s]", " ", t)
    return " ".join(t.split())


def _squeezed(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n.replace(" ", "") for n in names)


#: The same headings without spaces, to match letter-spaced ("E X P E R I E N C E")
#: or broken ("CE RTIFICATIONS") headings.
_SQUEEZED = {key: _squeezed(names) for key, names in SECTION_HEADINGS.items()}
_SQUEEZED_OTHER = _squeezed(OTHER_HEADINGS)


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


def section_key(text: str) -> str | None:
    """The canonical section for a heading, ``"other"`` for a known other heading, else
    None. Unlisted headings are matched on their key words ("Relevant Work Experience")."""
    exact = exact_section_key(text)
    if exact is not None:
        return exact
    words = normalise_heading(text).split()
    if not words or len(words) > 4:
        return None
    if {"volunteer", "voluntary", "volunteering", "research", "teaching"} & set(words):
        return "other"
    if "experience" in words or "employment" in words:
        return "work_history"
    if "education" in words:
        return "education"
    if words[-1] in {"certifications", "certificates", "certification", "licenses", "licences"}:
        return "certifications"
    if words[-1] in {"language", "languages"}:
        return "skills" if "programming" in words else "languages"
    if words[-1] in {"skills", "competencies", "expertise", "technologies"}:
        return "skills"
    return None
