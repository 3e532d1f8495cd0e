"""Truth tables for the language the extractor understands: input and expected side by side."""

from __future__ import annotations

import pytest

from pipeline.extract import extract
from pipeline.ingest import source_from_text
from pipeline.reference import load_reference

REF = load_reference()


def read(text: str):
    return extract(source_from_text(text), REF)


def date_parts(d):
    return None if d is None else (d.year, d.month, d.day, d.end_month, d.end_day)


@pytest.mark.parametrize("phrase, expected", [
    pytest.param("on June 16, 2009", (2009, 6, 16, None, None), id="month-day-year"),
    pytest.param("on 16 June 2009", (2009, 6, 16, None, None), id="day-month-year"),
    pytest.param("on June 15th, 2006", (2006, 6, 15, None, None), id="ordinal-day"),
    pytest.param("on June 14-15", (None, 6, 14, 6, 15), id="range-no-year"),
    pytest.param("on 13–14 June 2019", (2019, 6, 13, 6, 14), id="en-dash-range"),
    pytest.param("on September 16-17, 2021", (2021, 9, 16, 9, 17), id="month-first-range"),
    pytest.param("on 31 August – 1 September 2025", (2025, 8, 31, 9, 1), id="cross-month"),
    pytest.param("on August 31 – September 1, 2025", (2025, 8, 31, 9, 1), id="cross-month-month-first"),
    pytest.param("in August", (None, 8, None, None, None), id="month-only"),
    pytest.param("in 2007", (2007, None, None, None, None), id="year-only"),
    pytest.param("in December 2015", (2015, 12, None, None, None), id="month-year"),
    pytest.param("on 14 and 15 June 2011", (2011, 6, 14, 6, 15), id="and-range"),
    pytest.param("on the 15th of June 2001", (2001, 6, 15, None, None), id="the-15th-of"),
    pytest.param("on 2009-06-16", (2009, 6, 16, None, None), id="iso"),
])
def test_dates(phrase, expected):
    x = read(f"The meeting of the Council of Heads of State was held in Astana {phrase}.")
    assert date_parts(x.meetings[0].date) == expected


def test_impossible_date_is_dropped_with_a_warning():
    x = read("The meeting of the Council of Heads of State was held in Astana on February 30, 2010.")
    assert x.meetings[0].date is None
    assert [w.rule for w in x.warnings] == ["impossible_date"]


@pytest.mark.parametrize("sentence, ordinal", [
    pytest.param("The 10th meeting of the Council of Heads of State was held in Tashkent.", 10, id="digits"),
    pytest.param("The seventh council meeting of the SCO heads of state was held in 2007.", 7, id="word"),
    pytest.param("Leaders gathered for the 17th meeting of the Council of Heads of State in Astana.", 17, id="17th"),
    pytest.param("The twenty-first SCO summit took place in Dushanbe.", 21, id="hyphenated-word"),
    pytest.param("The 10th anniversary of the SCO was celebrated at the meeting held in Astana.", None, id="anniversary"),
    pytest.param("The 20th jubilee summit was held in Dushanbe.", None, id="jubilee"),
    pytest.param("It was Xi's first SCO summit since he took office.", None, id="a-persons-count"),
    pytest.param("The SCO's first summit was held in Shanghai.", 1, id="the-organisations-count"),
    pytest.param("The meeting of the Council of Heads of State, the 13th since the SCO was founded, closed.", 13,
                 id="in-apposition"),
])
def test_ordinals(sentence, ordinal):
    assert [m.ordinal.value for m in read(sentence).meetings if m.ordinal] == ([ordinal] if ordinal else [])


def test_anniversary_gives_a_year_marked_inferred():
    m = read("The 10th anniversary of the SCO was celebrated at the meeting held in Astana on June 14-15.").meetings[0]
    assert (m.year.value, m.year.basis, m.year.rule) == (2011, "inferred", "anniversary_year")


@pytest.mark.parametrize("sentence, body", [
    pytest.param("The Council of the Heads of Member States met in Bishkek.", "heads_of_state", id="member-states"),
    pytest.param("The Council of Heads of State met in Bishkek.", "heads_of_state", id="heads-of-state"),
    pytest.param("The heads of state council met in Bishkek.", "heads_of_state", id="lower-case-council"),
    pytest.param("The SCO summit was held in Bishkek.", "heads_of_state", id="summit"),
    pytest.param("The Council of Heads of Government (Prime Ministers) met in Bishkek.", "heads_of_government",
                 id="prime-ministers-in-brackets"),
    pytest.param("A regular meeting of the Council of the Heads of Government of the Member States of SCO was held in Beijing.",
                 "heads_of_government", id="government-of-member-states"),
    pytest.param("In Bishkek the prime ministers held their meeting.", "heads_of_government", id="the-prime-ministers"),
    pytest.param("The Council of Foreign Ministers met in Astana.", "foreign_ministers", id="foreign-ministers"),
    pytest.param("The leaders met in Astana on 4 July 2024.", "heads_of_state", id="the-leaders"),
])
def test_council_names(sentence, body):
    assert read(sentence).meetings[0].body.value == body


def test_at_the_summit_refers_to_the_meeting_in_view():
    x = read("The fifth meeting of the Council of Heads of State was held in Astana on July 5, 2005. "
             "The Astana Declaration adopted at the summit stated:\n\n\"The member states will counter terrorism.\"")
    assert len(x.meetings) == 1
    assert x.documents[0].meeting == x.meetings[0].key
    assert x.statements[0].meeting == x.meetings[0].key


def test_a_document_a_speaker_refers_to_is_not_the_meetings():
    x = read("The Council of Heads of Government met in Zhengzhou on 14 December 2015. The prime ministers welcomed "
             "the progress in implementing the Programme of Multilateral Trade and Economic Cooperation.")
    assert x.documents[0].meeting is None


def test_videoconference():
    m = read("The Council of Heads of State met by videoconference on 10 November 2020.").meetings[0]
    assert m.is_virtual.value is True and m.city is None


def test_unknown_city_is_kept_as_written_with_a_warning():
    x = read("The Council of Heads of State met in Karakol on 5 May 2030.")
    assert x.meetings[0].city.value == "Karakol" and x.meetings[0].country_code is None
    assert [w.rule for w in x.warnings] == ["unknown_city"]


def test_a_region_is_not_a_meeting_place():
    m = read("The Council of Heads of State met in Central Asia on 5 May 2030.").meetings[0]
    assert m.city is None


def test_a_council_named_without_anything_identifying_still_resets_the_context():
    x = read("The Council of Heads of State met in Astana on June 14-15.\n\n"
             "At a Meeting of the Council of the Heads of Member States, the following statement was made:\n\n"
             "«The member states will fight terrorism together.»")
    assert x.statements[0].meeting == x.meetings[1].key
    assert x.meetings[1].city is None and x.meetings[1].date is None


@pytest.mark.parametrize("sentence, title, doc_type", [
    pytest.param("The Moscow Declaration was adopted.", "Moscow Declaration", "declaration", id="city-declaration"),
    pytest.param("They signed the Declaration on the Fifth Anniversary of the Shanghai Cooperation Organisation.",
                 "Declaration on the Fifth Anniversary of the Shanghai Cooperation Organisation", "declaration", id="declaration-on"),
    pytest.param("The Charter of the Shanghai Cooperation Organization was signed.",
                 "Charter of the Shanghai Cooperation Organization", "charter", id="charter"),
    pytest.param("The Shanghai Convention on Combating Terrorism, Separatism and Extremism states that the members are firm.",
                 "Shanghai Convention on Combating Terrorism, Separatism and Extremism", "convention", id="convention-with-commas"),
    pytest.param("The leaders signed the Agreement on Cooperation in Ensuring International Information Security.",
                 "Agreement on Cooperation in Ensuring International Information Security", "agreement", id="agreement-on"),
    pytest.param("The ministers approved the Action Plan against Drug Trafficking.",
                 "Action Plan against Drug Trafficking", "action_plan", id="action-plan"),
    pytest.param("The heads of government approved the Programme of Multilateral Trade and Economic Cooperation.",
                 "Programme of Multilateral Trade and Economic Cooperation", "programme", id="programme"),
    pytest.param("The heads of state adopted the SCO Development Strategy until 2025.",
                 "SCO Development Strategy until 2025", "strategy", id="strategy-until"),
    pytest.param("The heads of state adopted the Statement on International Information Security.",
                 "Statement on International Information Security", "statement", id="statement-on"),
    pytest.param("A document, “Statement on supporting the multilateral trading system,” was also approved.",
                 "Statement on supporting the multilateral trading system", "statement", id="quoted-title"),
    pytest.param("The Yekaterinburg Declaration of June 16, 2009 called for joint action.",
                 "Yekaterinburg Declaration", "declaration", id="date-not-in-title"),
    pytest.param("They adopted the Declaration on Building a Region of Lasting Peace and Common Prosperity.",
                 "Declaration on Building a Region of Lasting Peace and Common Prosperity", "declaration", id="article-inside"),
    pytest.param("The heads of state adopted the Dushanbe Declaration on the 20th anniversary of the SCO.",
                 "Dushanbe Declaration", "declaration", id="lower-case-tail-dropped"),
    pytest.param("The heads of government adopted the Statement by the Heads of Government of the SCO Member States on "
                 "Regional Economic Cooperation.", "Statement by the Heads of Government of the SCO Member States on "
                 "Regional Economic Cooperation", "statement", id="statement-by"),
    pytest.param("The heads of state approved the Regulations on the Procedure for Granting the Status of a Member State.",
                 "Regulations on the Procedure for Granting the Status of a Member State", "other", id="regulations"),
    pytest.param("The ministers adopted the Roadmap for Cooperation in Energy.", "Roadmap for Cooperation in Energy",
                 "action_plan", id="roadmap"),
    pytest.param("The leaders approved the Action Plan for 2013-2017 to implement it.",
                 "Action Plan for 2013-2017", "action_plan", id="period-with-hyphen"),
])
def test_document_titles(sentence, title, doc_type):
    docs = read(sentence).documents
    assert [(d.title.value, d.doc_type.value) for d in docs] == [(title, doc_type)]


@pytest.mark.parametrize("sentence", [
    pytest.param("Agreement was reached on all points.", id="agreement-reached"),
    pytest.param("Decision makers met in Astana on 3 July 2024.", id="decision-makers"),
])
def test_a_capitalised_common_noun_opening_a_sentence_is_no_document(sentence):
    assert read(sentence).documents == []


def test_an_institution_named_after_a_document_is_no_document():
    assert read("The Deputy Secretary-General of the Collective Security Treaty Organisation attended.").documents == []


@pytest.mark.parametrize("sentence, title, year, status", [
    pytest.param("The leaders approved the Action Plan for 2013-2017 to implement the provisions of the 2007 Treaty on "
                 "Long-Term Good-Neighbourliness.", "Treaty on Long-Term Good-Neighbourliness", 2007, "mentioned",
                 id="complement-with-own-year"),
    pytest.param("The heads of government approved the report on the implementation of the Programme of Multilateral "
                 "Trade, the financial report and the budget for 2014.", "Programme of Multilateral Trade", None, "mentioned",
                 id="complement-period-year"),
    pytest.param("The leaders witnessed the signing of the Agreement on Scientific Cooperation in 2013.",
                 "Agreement on Scientific Cooperation", 2013, "signed", id="status-noun-of-title"),
])
def test_a_title_another_noun_governs_keeps_its_own_status_and_year(sentence, title, year, status):
    d = next(d for d in read(sentence).documents if d.title.value == title)
    assert ((d.year.value if d.year else None), d.status.value) == (year, status)


def test_two_titles_joined_by_and_are_two_documents():
    docs = read("The heads of state signed the Charter of the Shanghai Cooperation Organization and the Agreement "
                "on the Regional Anti-Terrorist Structure.").documents
    assert [d.title.value for d in docs] == ["Charter of the Shanghai Cooperation Organization",
                                             "Agreement on the Regional Anti-Terrorist Structure"]


@pytest.mark.parametrize("text, speaker, speaker_type, name, country", [
    pytest.param("Chinese President Xi Jinping chaired the talks. \"We should reject the Cold War mentality and bloc "
                 "confrontation,\" Xi said in his address.", "Xi", "person", "Xi Jinping", "CHN", id="name-after-quote"),
    pytest.param("“We should reject the Cold War mentality and bloc confrontation,” said President Xi Jinping.",
                 "President Xi Jinping", "person", "Xi Jinping", "CHN", id="inverted-after-quote"),
    pytest.param("The heads of state adopted the Qingdao Declaration. The member states “strongly condemn all acts of "
                 "terrorism and violence against civilians,” the declaration said.", "Qingdao Declaration", "document",
                 None, None, id="document-after-quote"),
    pytest.param("Putin noted that the organisation had grown. \"We have kept the dynamics of cooperation despite the "
                 "pandemic,\" the Russian leader said.", "the Russian leader", "person", "Vladimir Putin", "RUS",
                 id="role-noun-after-quote"),
])
def test_attribution_after_a_quotation(text, speaker, speaker_type, name, country):
    st = read(text).statements[-1]
    got = (st.speaker.value, st.speaker_type.value, st.speaker_name and st.speaker_name.value,
           st.speaker_country and st.speaker_country.value)
    assert got == (speaker, speaker_type, name, country)


@pytest.mark.parametrize("sentence, name, country", [
    pytest.param("Minister of Foreign Affairs of the Russian Federation Sergey Lavrov said that the goal was a just world order.",
                 "Sergey Lavrov", "RUS", id="minister-of-state"),
    pytest.param("President of the Republic of Tajikistan Emomali Rahmon stressed that cooperation was growing.",
                 "Emomali Rahmon", "TJK", id="president-of-republic"),
])
def test_an_office_of_a_state_names_the_speakers_country(sentence, name, country):
    st = read(sentence).statements[-1]
    assert (st.speaker_type.value, st.speaker_name.value, st.speaker_country.value) == ("person", name, country)


def test_according_to_a_person_gives_the_sentence_to_them():
    st = read("Chinese President Xi Jinping said that the summit was a success. According to the President, the member states should "
              "build a community with a shared future.").statements[-1]
    assert (st.speaker.value, st.speaker_name.value, st.speaker_name.basis) == ("the President", "Xi Jinping", "inferred")


def test_a_document_named_at_the_end_of_a_sentence_takes_it():
    x = read("The heads of state adopted the Qingdao Declaration. The member states condemned the use of information "
             "technologies for criminal purposes, the declaration said.")
    assert x.statements[-1].document == x.documents[0].key


def test_a_document_speaks_in_the_present_tense():
    x = read("The heads of state signed the Samarkand Declaration of the Council of Heads of State. The Samarkand "
             "Declaration states that the member states support the central role of the United Nations.")
    st = x.statements[-1]
    assert (st.speaker_type.value, st.document) == ("document", x.documents[0].key)


def test_a_short_title_is_the_document_named_in_full_before():
    docs = read("The heads of state signed the Samarkand Declaration of the Council of Heads of State. The Samarkand "
                "Declaration was published.").documents
    assert docs[1].antecedent == docs[0].key


@pytest.mark.parametrize("text", [
    pytest.param("The Council of Foreign Ministers met in Dushanbe on 14 July 2021. The ministers reviewed preparations for "
                 "the forthcoming meeting of the Council of Heads of State. The heads of delegations stressed the importance "
                 "of strict compliance with the rules.", id="forthcoming"),
    pytest.param("The Council of Foreign Ministers met in Tashkent on 29 July 2022. The ministers discussed the meeting of "
                 "the Council of Heads of State to be held in Samarkand in September. The sides expressed concern over the "
                 "situation in the region.", id="to-be-held"),
])
def test_a_meeting_to_come_leaves_the_meeting_in_view(text):
    x = read(text)
    assert x.statements[-1].meeting == x.meetings[0].key


def test_in_a_document_without_a_comma_is_no_frame():
    x = read("The heads of state signed the Astana Declaration on 9 June 2017. In the Declaration of 2017 the member "
             "states emphasised the importance of the Charter.")
    assert x.statements[-1].link_rule != "paraphrase_according_to_document"


def test_according_to_a_document_links_the_paraphrase_to_it():
    x = read("In Moscow the Council of Heads of Government adopted a joint communiqué. According to the communiqué, "
             "the parties will develop cooperation in information security.")
    [st] = x.statements
    assert st.document == x.documents[0].key and st.speaker.value == "the parties"


def test_it_speaks_for_the_document_in_view():
    x = read("The New Delhi Declaration was adopted on July 4, 2023. It called for joint efforts against terrorism.")
    assert [(s.kind, s.document, s.speaker.value) for s in x.statements] == [
        ("paraphrase", x.documents[0].key, "New Delhi Declaration")]


def test_generic_lower_case_mention_needs_a_meeting_in_view():
    assert read("A joint communiqué was issued.").documents == []
    x = read("The Council of Heads of State met in Dushanbe in August. A joint communiqué was issued.")
    assert [(d.title.value, d.doc_type.value, d.meeting) for d in x.documents] == [
        ("joint communiqué", "communique", x.meetings[0].key)]


def test_declaration_named_after_a_city_implies_that_citys_meeting_that_year():
    x = read("The Bishkek Declaration of 14 June 2019 was adopted.")
    implied = x.meetings[0]
    assert implied.implied and implied.city.value == "Bishkek" and implied.year.value == 2019
    assert x.documents[0].meeting == implied.key


def test_anaphora_points_to_the_last_document_of_its_type():
    x = read("The Shanghai Convention on Combating Terrorism, Separatism and Extremism was signed.\n\n"
             "For the purpose of this Convention “terrorism” means:\n\n“a. acts intended to intimidate”")
    assert x.documents[1].antecedent == x.documents[0].key
    assert x.statements[0].document == x.documents[0].key
    assert "terrorism" in x.statements[0].themes


@pytest.mark.parametrize("text, quoted", [
    pytest.param("He said:\n\n«The member states will fight terrorism together».", "The member states will fight terrorism together", id="guillemets"),
    pytest.param("He said:\n\n“The member states will fight terrorism together.”", "The member states will fight terrorism together.", id="curly"),
    pytest.param("He said:\n\n\"The member states will fight terrorism together.\"", "The member states will fight terrorism together.", id="straight"),
    pytest.param("He said:\n\n'The member states will fight terrorism together.'", "The member states will fight terrorism together.", id="single"),
    pytest.param("He said:\n\n„The member states will fight terrorism together.“", "The member states will fight terrorism together.", id="low-high"),
    pytest.param("He said:\n\n“The member states will fight terrorism together.", "The member states will fight terrorism together.", id="unclosed"),
    pytest.param("He said:\n\n“…and will fight terrorism together.”", "…and will fight terrorism together.", id="leading-ellipsis"),
    pytest.param("The declaration said: “The member states will fight terrorism together.”", "The member states will fight terrorism together.", id="inline-after-said"),
    pytest.param("It said:\n\n“The states will combat the “three evils” of terrorism together.”",
                 "The states will combat the “three evils” of terrorism together.", id="nested-same-marks"),
])
def test_quotation_styles(text, quoted):
    sts = read(text).statements
    assert [(text[s.start:s.end], s.kind) for s in sts] == [(quoted, "quotation")]


def test_quote_spanning_paragraphs():
    text = ("The heads of state declared:\n\n“The member states will fight terrorism.\n\n"
            "“They will also fight extremism together.”")
    sts = read(text).statements
    assert len(sts) == 1
    assert " ".join(text[sts[0].start:sts[0].end].split()) == (
        "The member states will fight terrorism. “They will also fight extremism together.")


@pytest.mark.parametrize("text", [
    pytest.param("The project «SCO information superhighway» was launched.", id="project-name"),
    pytest.param("For the purpose of this Convention “terrorism” means acts of violence.", id="defined-term"),
    pytest.param("A document, “SCO member countries action plan to safeguard international information security,” was signed.",
                 id="document-title"),
    pytest.param("They praised the “Shanghai Spirit” of the organisation.", id="capitalised-name"),
])
def test_quoted_names_terms_and_titles_are_not_statements(text):
    assert read(text).statements == []


@pytest.mark.parametrize("sentence, speaker", [
    pytest.param("The heads of government reaffirmed that cooperation is growing.", "The heads of government", id="reaffirmed-that"),
    pytest.param("The heads of state stressed the importance of security.", "The heads of state", id="stressed"),
    pytest.param("The heads of state noted that the threats remain acute.", "The heads of state", id="noted"),
    pytest.param("The leaders agreed to deepen cooperation.", "The leaders", id="agreed-to"),
    pytest.param("The member states called for joint action.", "The member states", id="called-for"),
    pytest.param("The Council declared its support for the initiative.", "The Council", id="declared"),
    pytest.param("The prime ministers said that trade is growing.", "The prime ministers", id="said-that"),
    pytest.param("Facing new threats, the SCO members will work together.", "the SCO members", id="will"),
    pytest.param("President Xi Jinping said that trade is growing.", "President Xi Jinping", id="named-office-holder"),
    pytest.param("The participants of the Samarkand summit of 2022 stressed that trade matters.", "The participants",
                 id="actor-with-of-phrase"),
    pytest.param("The Member States reaffirm their commitment to the purposes of the UN Charter.", "The Member States",
                 id="collective-voice-present-tense"),
    pytest.param("Member states condemn terrorism in all its forms.", "Member states", id="no-article"),
    pytest.param("The heads of delegations noted the growth of mutual trade.", "The heads of delegations",
                 id="communique-subject"),
    pytest.param("The leaders resolutely condemned terrorism in all its forms.", "The leaders", id="adverb-before-verb"),
    pytest.param("Vladimir Putin said that the organisation was developing successfully.", "Vladimir Putin",
                 id="person-named-in-full"),
    pytest.param("The Russian President noted that trade was growing.", "The Russian President", id="office-as-subject"),
    pytest.param("He stressed the importance of the fight against terrorism.", "He", id="pronoun-as-written"),
    pytest.param("He added that information security remained a priority.", "He", id="added"),
    pytest.param("The Member States support the development of transport corridors.", "The Member States",
                 id="member-states-capitalised"),
    pytest.param("The leaders named terrorism and cybercrime among global threats.", "The leaders", id="named-among"),
])
def test_reported_speech_is_a_paraphrase(sentence, speaker):
    sts = read(sentence).statements
    assert [(s.kind, s.speaker.value) for s in sts] == [("paraphrase", speaker)]


@pytest.mark.parametrize("sentence", [
    pytest.param("The Yekaterinburg Declaration of June 16, 2009 included a following statement:", id="lead-in-colon"),
    pytest.param("A joint communiqué included as follows.", id="as-follows"),
    pytest.param("The heads of state signed the Charter.", id="signing-is-not-speech"),
    pytest.param("The Council of Heads of State met in Dushanbe.", id="meeting"),
    pytest.param("The leaders named the next Secretary-General of the organisation.", id="named-without-among"),
    pytest.param("The next meeting of the Council of Heads of State will be held in Bishkek in 2019.", id="next-meeting"),
    pytest.param("The heads of state expressed their gratitude to China for the warm hospitality.", id="courtesy"),
    pytest.param("The meeting was chaired by the Minister of Foreign Affairs of Tajikistan.", id="chairing"),
    pytest.param("President Nazarbayev chaired the meeting and said it was held in a friendly atmosphere.",
                 id="chairing-with-a-verb"),
    pytest.param("The Kyrgyz Republic will assume the chairmanship for the coming period.", id="chairmanship"),
    pytest.param("The ministers reviewed preparations for the summit and agreed on the draft documents.", id="procedure"),
])
def test_not_statements(sentence):
    assert read(sentence).statements == []


@pytest.mark.parametrize("sentence, codes", [
    pytest.param("The Charter was signed by Russia, Kazakhstan, Kyrgyzstan, Tajikistan, Uzbekistan and China.",
                 ["RUS", "KAZ", "KGZ", "TJK", "UZB", "CHN"], id="signed-by"),
    pytest.param("The Charter was signed by India, Pakistan, and the Islamic Republic of Iran.",
                 ["IND", "PAK", "IRN"], id="oxford-comma-full-name"),
    pytest.param("The Charter was signed by Mongolia and Belarus at the summit.", ["MNG", "BLR"], id="trailing-words"),
    pytest.param("The Charter was signed in Saint Petersburg on June 7, 2002 by China and Russia.", ["CHN", "RUS"],
                 id="signed-in-place-on-date-by"),
])
def test_signatories(sentence, codes):
    docs = read(sentence).documents
    assert [s.country_code for s in docs[0].signatories] == codes


def test_founders_attach_to_the_next_document():
    x = read("The SCO was founded by The People’s Republic of China, Russia, Kazakhstan, Kyrgyzstan, Tajikistan, and "
             "Uzbekistan. The organization was established on June 15, 2001 by the Declaration of Shanghai Cooperation Organization.")
    doc = x.documents[0]
    assert [s.country_code for s in doc.signatories] == ["CHN", "RUS", "KAZ", "KGZ", "TJK", "UZB"]
    assert {s.role for s in doc.signatories} == {"founder"}
    assert doc.date.value == "2001-06-15"


@pytest.mark.parametrize("text, themes", [
    pytest.param("“The member states will counter terrorist and extremist ideology on the Internet.”", {"terrorism", "extremism"}, id="adjectives"),
    pytest.param("“The member states will deepen cooperation in countering cybercrime.”", {"cybercrime"}, id="cybercrime"),
    pytest.param("“The use of information and communication technologies must be secure.”", {"information_security"}, id="ict"),
    pytest.param("“Cooperation in science and technology serves development.”", {"science_technology"}, id="science"),
    pytest.param("“The threats of terrorism and drug trafficking remain acute.”", {"terrorism", "drug_trafficking"},
                 id="drug-trafficking-theme"),
    pytest.param("“Cooperation within the SCO Regional Anti-Terrorist Structure is growing steadily.”", set(),
                 id="a-body-named-with-a-theme-word"),
    pytest.param("“The Regional Anti-Terrorist Structure helps the fight against terrorism.”", {"terrorism"},
                 id="the-body-and-the-theme-word"),
])
def test_themes(text, themes):
    sts = read("The heads of state said:\n\n" + text).statements
    assert set(sts[0].themes) == themes


@pytest.mark.parametrize("sentence, meetings", [
    pytest.param("The heads of state noted that in the five years since the Organisation was founded in Shanghai "
                 "on 15 June 2001 it had completed building its institutions.", [], id="founded-in-place-on-date"),
    pytest.param("The meeting of the Council of Heads of State, the 13th since the organization was founded in "
                 "Shanghai in 2001, was held in Bishkek.", [("heads_of_state", "Bishkek", None)], id="founded-clause-inside"),
    pytest.param("The SCO was proclaimed at a summit in Shanghai on 15 June 2001.", [("heads_of_state", "Shanghai", 2001)],
                 id="a-summit-is-no-passing-place"),
    pytest.param("The heads of state noted that the Secretariat in Beijing was functioning effectively.", [],
                 id="a-place-in-reported-speech"),
    pytest.param("The heads of state noted in Bishkek that the meeting was held in Bishkek on 14 June 2019.",
                 [("heads_of_state", "Bishkek", 2019)], id="reported-speech-that-names-a-meeting"),
])
def test_a_place_said_in_passing_makes_no_meeting(sentence, meetings):
    got = [(m.body and m.body.value, m.city and m.city.value, m.year and m.year.value) for m in read(sentence).meetings]
    assert got == meetings


def test_an_office_holder_of_the_offices_reference_speaks_by_name():
    x = read("Kyrgyz President Almazbek Atambayev presided. Atambayev voiced deep concern about the outlook for "
             "Afghanistan, saying terrorist groups there were gaining strength.")
    [st] = x.statements
    assert (st.speaker.value, st.speaker_type.value, st.speaker_name.value, st.speaker_country.value) == (
        "Atambayev", "person", "Almazbek Atambayev", "KGZ")


def test_an_undated_placeless_meeting_is_the_one_dated_meeting_of_its_council_in_its_source():
    from pipeline.resolve import resolve
    from pipeline.source_rows import source_rows

    text = ("BISHKEK, Sept. 13 -- Leaders of the SCO Council of Heads of State signed the declaration here on Friday "
            "at the close of their annual summit.\n\nThe 13th meeting of the SCO Council of Heads of State was held in "
            "Bishkek on 13 September 2013.")
    other = source_from_text("The leaders of the SCO Council of Heads of State met on 9 May at their annual summit.", "other")
    sources = [source_from_text(text), other]  # another source's undated council mention does not stand in the way
    resolved = resolve([(s, source_rows(extract(s, REF), REF)) for s in sources], None, REF)
    assert [m["meeting_id"] for m in resolved.tables["meetings"]] == ["heads_of_state-2013-bishkek",
                                                                     "heads_of_state-undated-unknown"]
    undated = {e["source_id"] for e in resolved.pop("evidence").to_pylist() if e["record_id"] == "heads_of_state-undated-unknown"}
    assert undated == {"other"}
