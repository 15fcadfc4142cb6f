# ruff: noqa: RUF001 -- CVs are written with typographic dashes
"""Work and education entries from the layouts real CVs use, as hand-made lines."""

from __future__ import annotations

from litequeue_cv._document import Line, SourceDoc
from litequeue_cv._parse import parse
from litequeue_cv._result import CVResult


def _cv(*lines: Line | str) -> CVResult:
    head = (Line(text="Jo Bloggs", bold=True, size=20.0),)
    body = tuple(line if isinstance(line, Line) else Line(text=line, size=10.0) for line in lines)
    doc = SourceDoc(lines=head + body)
    return parse(doc, file_name="cv.pdf", file_type="pdf")


def _heading(text: str) -> Line:
    return Line(text=text, bold=True, size=12.0)


def _jobs(cv: CVResult) -> list[tuple[str | None, ...]]:
    return [(j.title, j.company, j.location, j.start, j.end) for j in cv.work_history]


def test_one_comma_line_per_job_keeps_the_legal_form_and_the_whole_place() -> None:
    cv = _cv(
        _heading("EXPERIENCE"),
        "Full Stack Developer, ABC Company, Inc., Anywhere, USA, June 2018 - Present",
        "• Built things",
        "Software Developer, XYZ Solutions, Springfield, USA, July 2016 - June 2018",
        "• Built more things",
    )
    assert _jobs(cv) == [
        ("Full Stack Developer", "ABC Company, Inc.", "Anywhere, USA", "2018-06", "present"),
        ("Software Developer", "XYZ Solutions", "Springfield, USA", "2016-07", "2018-06"),
    ]


def test_company_line_with_dates_then_the_title_in_italics() -> None:
    cv = _cv(
        _heading("WORK EXPERIENCE"),
        Line(text="Kent State University, Kent, Ohio", bold=True, size=10.0),
        "August 2015 - Present",
        Line(text="Resident Advisor", italic=True, size=10.0),
        "• Organised a breakfast for 200 attendees.",
        Line(text="Panini’s Bar and Grill, Cleveland, Ohio", bold=True, size=10.0),
        "August 2014 - May 2015",
        Line(text="Server", italic=True, size=10.0),
        "• Served tables.",
    )
    assert _jobs(cv) == [
        ("Resident Advisor", "Kent State University", "Kent, Ohio", "2015-08", "present"),
        ("Server", "Panini’s Bar and Grill", "Cleveland, Ohio", "2014-08", "2015-05"),
    ]


def test_a_range_wrapped_in_a_narrow_left_date_column() -> None:
    cv = _cv(
        _heading("Experience"),
        "June 2020 – MERN Stack Developer, OpenAI, San Francisco, USA",
        "Present Working on the development of a chat product, using Node.js.",
        "July 2015 – Full Stack Developer, Uber, San Francisco, USA",
        "May 2020 Developed and maintained web applications. Ensured the",
        "performance of applications.",
    )
    assert _jobs(cv) == [
        ("MERN Stack Developer", "OpenAI", "San Francisco, USA", "2020-06", "present"),
        ("Full Stack Developer", "Uber", "San Francisco, USA", "2015-07", "2020-05"),
    ]
    assert cv.work_history[1].description is not None
    assert cv.work_history[1].description.startswith("Developed and maintained")


def test_entries_that_open_with_their_dates_take_the_lines_under_them() -> None:
    cv = _cv(
        _heading("EDUCATION"),
        "International Business Management | | | 2017 - Present",
        "Language and Career College of ISS, Vancouver, BC, CA",
        "Bachelor of Science in Applied Economics | | | | 2004",
        "De La Salle University – Bogota, CO",
    )
    got = [(e.institution, e.degree, e.field, e.start, e.end) for e in cv.education]
    assert got == [
        ("Language and Career College of ISS", None, None, "2017", "present"),
        ("De La Salle University", "Bachelor of Science", "Applied Economics", None, "2004"),
    ]


def test_title_company_and_dates_on_three_lines_and_a_grade_after_the_dates() -> None:
    cv = _cv(
        _heading("EDUCATION"),
        "Bachelor of Technology in Computer Science",
        "Indian Institute of Technology",
        "2016 - 2020 | CGPA: 8.5/10",
    )
    got = [(e.institution, e.degree, e.field, e.start, e.end) for e in cv.education]
    assert got == [
        (
            "Indian Institute of Technology",
            "Bachelor of Technology",
            "Computer Science",
            "2016",
            "2020",
        )
    ]


def test_the_degree_that_names_its_subject_and_the_school_after_it() -> None:
    cv = _cv(
        _heading("Education"),
        "2009 – 2012 PhD in Computer Science, CalTech, Pasadena, USA",
        "2007 – 2009 Master of Business Administration (MBA), Warwick Business School",
        Line(text="PhD", bold=True, size=10.0),
        "Princeton University, PhD in Computer Science – Princeton, NJ  Sept 2018 – May 2023",
    )
    got = [(e.institution, e.degree, e.field) for e in cv.education]
    assert got == [
        ("CalTech", "PhD", "Computer Science"),
        ("Warwick Business School", "Master of Business Administration (MBA)", None),
        ("Princeton University", "PhD", "Computer Science"),
    ]


def test_skills_after_an_oxford_comma_and_a_wrapped_line() -> None:
    cv = _cv(
        _heading("Skills"),
        "Spring Boot, Spring MVC, and Hibernate, Agile and Scrum, Python",
        "and Machine Learning basics",
    )
    assert cv.skills == (
        "Spring Boot",
        "Spring MVC",
        "Hibernate",
        "Agile and Scrum",
        "Python and Machine Learning basics",
    )


def test_jobs_written_as_bullets_with_their_dates_in_brackets() -> None:
    cv = _cv(
        _heading("EXPERIENCE"),
        Line(text="Software Engineer — ABC Technologies (Jan 2022 – Present)", list_item=True),
        "- Built the billing service",
        Line(text="Intern — XYZ Innovations (Jun 2021 – Dec 2021)", list_item=True),
        "- Wrote tests",
    )
    assert _jobs(cv) == [
        ("Software Engineer", "ABC Technologies", None, "2022-01", "present"),
        ("Intern", "XYZ Innovations", None, "2021-06", "2021-12"),
    ]


def test_title_and_dates_then_company_with_its_place_in_brackets() -> None:
    cv = _cv(
        _heading("Relevant Work Experience"),
        Line(text="Project Coordinator | September 2012 – January 2014", bold=True),
        Line(text="The Rose and Thistle Group Ltd. (Toronto, Canada)", italic=True),
        Line(text="Assisted the asset managers with the budget.", list_item=True),
        Line(text="Junior Analyst | Summer 2009", bold=True),
        Line(text="Ministry of Culture (Toronto, Canada)", italic=True),
    )
    assert _jobs(cv) == [
        (
            "Project Coordinator",
            "The Rose and Thistle Group Ltd.",
            "Toronto, Canada",
            "2012-09",
            "2014-01",
        ),
        ("Junior Analyst", "Ministry of Culture", "Toronto, Canada", "2009", None),
    ]


def test_four_line_heading_title_dates_company_place() -> None:
    cv = _cv(
        _heading("Work Experience"),
        Line(text="Subatomic Shepherd and Caffeine Connoisseur", bold=True, size=10.0),
        "May 2024 — Present",
        "Microscopic Circus, Schrodinger's University",
        Line(text="Atomville, CA", italic=True, size=10.0),
        "• Made tiny molecules dance",
        Line(text="Code Conjurer Intern", bold=True, size=10.0),
        "Jun 2022 — Aug 2022",
        "Bits & Bytes Consulting",
        Line(text="Silicon Suburb, CA", italic=True, size=10.0),
        "• Conjured code",
    )
    assert _jobs(cv) == [
        (
            "Subatomic Shepherd and Caffeine Connoisseur",
            "Microscopic Circus, Schrodinger's University",
            "Atomville, CA",
            "2024-05",
            "present",
        ),
        (
            "Code Conjurer Intern",
            "Bits & Bytes Consulting",
            "Silicon Suburb, CA",
            "2022-06",
            "2022-08",
        ),
    ]


def test_school_first_then_place_degree_and_dates() -> None:
    cv = _cv(
        _heading("Education"),
        Line(text="Harvey Mudd College", bold=True, size=10.0),
        "Claremont, CA",
        Line(text="Honours Bachelor of Arts, Economics", italic=True, size=10.0),
        Line(text="Aug 2023 — May 2027", italic=True, size=10.0),
        "• GPA: 4.0/4.0",
    )
    got = [(e.institution, e.degree, e.field, e.start, e.end) for e in cv.education]
    assert got == [
        ("Harvey Mudd College", "Honours Bachelor of Arts", "Economics", "2023-08", "2027-05")
    ]


def _degrees(cv: CVResult) -> list[tuple[str | None, ...]]:
    return [(e.institution, e.degree, e.field, e.start, e.end) for e in cv.education]


def test_a_campus_after_university_of_stays_a_town_after_an_address_goes() -> None:
    cv = _cv(
        _heading("Education"),
        "Master of Data Science | 2018 - 2020",
        "University of California, Los Angeles | USA",
        "Programme in Business Management | 2017 - Present",
        "Language and Career College of ISS, Vancouver, BC, CA",
        "Bachelor of Science in Economics | 2010 - 2014",
        "Brunel University, London",
    )
    assert _degrees(cv) == [
        ("University of California, Los Angeles", "Master of Data Science", None, "2018", "2020"),
        (
            "Language and Career College of ISS",
            None,
            "Programme in Business Management",
            "2017",
            "present",
        ),
        ("Brunel University", "Bachelor of Science", "Economics", "2010", "2014"),
    ]


def test_status_words_honours_and_majoring_lines() -> None:
    cv = _cv(
        _heading("education"),
        "since 1865 | Ph.D. candidate in Computer Science | Wonderland",
        "1863-1865 M.Sc. magna cum laude | Wonderland",
        "Majoring in Computer Science",
        "Bachelor of Business Administration | Expected Graduation: May 2018",
        Line(text="Kent State University", bold=True, size=10.0),
        "Major: Business Management",
    )
    assert _degrees(cv) == [
        ("Wonderland", "Ph.D.", "Computer Science", "1865", "present"),
        ("Wonderland", "M.Sc.", "Computer Science", "1863", "1865"),
        (
            "Kent State University",
            "Bachelor of Business Administration",
            "Business Management",
            None,
            "2018-05",
        ),
    ]


def test_chinese_degrees_and_an_expected_graduation_under_the_range() -> None:
    cv = _cv(
        _heading("教育背景"),
        "上海交通大学, 上海 | 2013 – 至今",
        "在读硕士研究生 信息与通信工程, 预计 2016 年 3 月毕业",
        "西安电子科技大学, 西安, 陕西 | 2009 – 2013",
        "学士 通信工程",
    )
    assert _degrees(cv) == [
        ("上海交通大学", "硕士研究生", "信息与通信工程", "2013", "present"),
        ("西安电子科技大学", "学士", "通信工程", "2009", "2013"),
    ]


def test_a_school_without_a_school_word_above_its_degree() -> None:
    cv = _cv(
        _heading("EDUCATION"),
        Line(text="UC Berkeley | 2019", bold=True, size=10.0),
        Line(text="Bachelor of Science, Computer Science", bold=True, size=10.0),
    )
    assert _degrees(cv) == [
        ("UC Berkeley", "Bachelor of Science", "Computer Science", None, "2019")
    ]


def test_durations_employment_types_and_roles_of_an_area() -> None:
    cv = _cv(
        _heading("Experience"),
        "Nexus AI, Co-Founder & CTO | San Francisco, CA | June 2023 – present | 2 years 10 months",
        "• Built the inference platform",
        Line(text="Full Time", bold=True, size=10.0),
        "2012–Now | LEHMAN BROTHERS | Los Angeles, California",
        Line(text="1st Year Analyst", italic=True, size=10.0),
        "Developed spreadsheets for risk analysis.",
        "Oct 2010 – Jul 2012 | Vice President of Location & Services | Google | Palo Alto, CA",
    )
    assert _jobs(cv) == [
        ("Co-Founder & CTO", "Nexus AI", "San Francisco, CA", "2023-06", "present"),
        ("1st Year Analyst", "LEHMAN BROTHERS", "Los Angeles, California", "2012", "present"),
        ("Vice President of Location & Services", "Google", "Palo Alto, CA", "2010-10", "2012-07"),
    ]


def test_entries_marked_as_personal_projects_are_not_jobs() -> None:
    cv = _cv(
        _heading("Experience and Projects"),
        "Backend Intern | Acme Corp | Mar 2015 – May 2015",
        "• Cut resource use by 8%",
        "Proxy Tool | Jun 2014 – Present",
        "Golang, Linux | personal project, written with a friend",
        "• Fixed a file descriptor leak",
    )
    assert _jobs(cv) == [("Backend Intern", "Acme Corp", None, "2015-03", "2015-05")]


def test_a_date_column_read_row_by_row_each_date_opening_its_entry() -> None:
    # Europass: the date sits alone in a left column, the entry follows on the right.
    cv = _cv(
        Line(text="WORK EXPERIENCE", size=9.0),
        Line(text="08/2002–Present", size=9.0),
        Line(text="Independent consultant", size=11.0),
        Line(text="British Council", size=9.0),
        Line(text="Evaluation of youth training support measures for national agencies", size=9.0),
        Line(text="and young people", size=9.0),
        Line(text="Business or sector European institution", size=9.0),
        Line(text="10/2001–02/2002", size=9.0),
        Line(text="Researcher / Independent Consultant", size=11.0),
        Line(text="Council of Europe, Budapest (Hungary)", size=9.0),
        Line(text="EDUCATION AND TRAINING", size=9.0),
        Line(text="1997–2001", size=9.0),
        Line(text="PhD - Thesis Title: 'Young People in the Virtual", size=11.0),
        Line(text="University’, Empirical research on e-learning", size=11.0),
        Line(text="Brunel University, London (United Kingdom)", size=9.0),
    )
    assert [(j.title, j.company, j.start, j.end) for j in cv.work_history] == [
        ("Independent consultant", "British Council", "2002-08", "present"),
        ("Researcher / Independent Consultant", "Council of Europe", "2001-10", "2002-02"),
    ]
    assert _degrees(cv) == [("Brunel University", "PhD", None, "1997", "2001")]
    assert cv.section_order == ("contact", "work_history", "education")


def test_high_school_a_subject_line_under_the_heading_and_long_degree_names() -> None:
    cv = _cv(
        _heading("education"),
        "1856-1861 | High school | Wonderland",
        "Specializing in mathematics and physics.",
        "2007–2008 | Bachelor of Business Studies, Commerce"
        " | The University of California, Berkeley",
    )
    assert _degrees(cv) == [
        ("Wonderland", "High school", "mathematics and physics", "1856", "1861"),
        (
            "The University of California, Berkeley",
            "Bachelor of Business Studies",
            "Commerce",
            "2007",
            "2008",
        ),
    ]


def test_degrees_in_other_languages_and_hons() -> None:
    cv = _cv(
        _heading("FORMATION"),
        "Master en informatique | Université Paris-Saclay | 2015 – 2017",
        "Laurea magistrale in Ingegneria Informatica | Politecnico di Milano | 2012 – 2014",
        "BA (Hons) English | University of Leeds | 2009 – 2012",
    )
    assert [(e.degree, e.field) for e in cv.education] == [
        ("Master", "informatique"),
        ("Laurea magistrale", "Ingegneria Informatica"),
        ("BA (Hons)", "English"),
    ]


def test_a_month_at_the_end_of_a_line_and_its_year_on_the_next() -> None:
    cv = _cv(
        _heading("Education:"),
        "Bachelor of Science, Human-Computer Interaction, KTH Royal Institute of Technology"
        " (September",
        "2013 to June 2016)",
        _heading("Experience:"),
        "Engineer, Acme (2001 - 2005)",
        "The first product on film was over a hundred years ago.",
        "Designer, Nimbus (2005 - 2009)",
    )
    assert _degrees(cv) == [
        (
            "KTH Royal Institute of Technology",
            "Bachelor of Science",
            "Human-Computer Interaction",
            "2013-09",
            "2016-06",
        )
    ]
    assert [j.company for j in cv.work_history] == ["Acme", "Nimbus"]
    cv = _cv(
        _heading("ACADEMIC BACKGROUND"),
        Line(text="Trinity College Dublin", bold=True, size=10.0),
        "Bachelor of Engineering, Computer Science | September",
        "2017 to June 2020",
    )
    assert _degrees(cv) == [
        (
            "Trinity College Dublin",
            "Bachelor of Engineering",
            "Computer Science",
            "2017-09",
            "2020-06",
        )
    ]
