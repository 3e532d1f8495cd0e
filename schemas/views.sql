-- Views for the common questions, created in the DuckDB database after the tables.
-- Each statement is preceded by a `-- view: NAME: description` line (read by the pipeline for COMMENT ON VIEW).

-- view: statements_in_context: Each statement with its meeting, document, source and themes.
CREATE VIEW statements_in_context AS
SELECT s.statement_id, s.kind, s.text, s.speaker, s.is_truncated,
       m.meeting_id, m.label AS meeting_label, m.body AS meeting_body, m.year AS meeting_year,
       m.start_date AS meeting_start_date, m.city AS meeting_city,
       d.document_id, d.title AS document_title, d.doc_type AS document_type,
       src.source_id, src.path AS source_path, s.char_start, s.char_end,
       (SELECT string_agg(st.theme_id, ' | ' ORDER BY st.theme_id)
          FROM statement_themes st WHERE st.statement_id = s.statement_id) AS themes
FROM statements s
LEFT JOIN meetings m ON m.meeting_id = s.meeting_id
LEFT JOIN documents d ON d.document_id = s.document_id
JOIN sources src ON src.source_id = s.source_id;

-- view: meeting_timeline: Meetings in date order with how many documents and statements each has.
CREATE VIEW meeting_timeline AS
SELECT m.meeting_id, m.label, m.body, m.year, m.start_date, m.end_date, m.city, m.country_code, m.is_virtual,
       (SELECT count(*) FROM documents d WHERE d.meeting_id = m.meeting_id) AS n_documents,
       (SELECT count(*) FROM statements s WHERE s.meeting_id = m.meeting_id) AS n_statements
FROM meetings m
ORDER BY m.year NULLS LAST, m.start_date NULLS LAST, m.body, m.meeting_id;

-- view: statements_per_theme_year: How many statements speak of each theme in each year (year of the meeting, else of the document).
CREATE VIEW statements_per_theme_year AS
SELECT st.theme_id, t.label AS theme_label, coalesce(m.year, d.year) AS year, count(*) AS n_statements
FROM statement_themes st
JOIN themes t ON t.theme_id = st.theme_id
JOIN statements s ON s.statement_id = st.statement_id
LEFT JOIN meetings m ON m.meeting_id = s.meeting_id
LEFT JOIN documents d ON d.document_id = s.document_id
GROUP BY ALL
ORDER BY st.theme_id, year NULLS LAST;
