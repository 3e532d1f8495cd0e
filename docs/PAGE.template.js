// The data page's tables: rows come from the JSON in #data, filtered by the form and the address.
const data = JSON.parse(document.getElementById('data').textContent);
const PAGE_ROWS = 100;
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
const field = id => document.getElementById(id);
const controls = ['q', 'theme', 'year', 'council', 'kind'];
const meetingOf = i => data.meetings[i] || null;
const documentOf = i => data.documents[i] || null;
let limit = PAGE_ROWS;

function yearOf(meeting, doc) { return meeting ? meeting[3] : (doc ? doc[4] : null); }
function councilOf(meeting) { return meeting ? meeting[2] : ''; }

function wanted() {
  const f = {};
  for (const c of controls) f[c] = field(c).value;
  f.words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
  return f;
}

function matchesPlace(f, year, council) {
  return (!f.year || String(year) === f.year) && (!f.council || council === f.council);
}

function hasWords(f, text) {
  const low = text.toLowerCase();
  return f.words.every(w => low.includes(w));
}

function meetingRow(m) {
  return `<tr><td>${esc(m[1])}</td><td>${esc(m[2])}</td><td>${esc(m[4] || m[3])}</td><td>${esc(m[5])}</td><td>${m[6]}</td></tr>`;
}

function documentRow(d) {
  const m = meetingOf(d[5]);
  return `<tr><td>${esc(d[1])}</td><td>${esc(d[2])}</td><td>${esc(d[3])}</td><td>${esc(d[4])}</td><td>${esc(m ? m[1] : '')}</td></tr>`;
}

function statementRow(s) {
  const m = meetingOf(s[4]), d = documentOf(s[5]);
  const tags = s[6].map(i => data.themes[i]).map(t => `<span class="tag" style="background:${t[2]}">${esc(t[0])}</span>`).join('');
  return `<tr><td>${esc(s[1])}</td><td>${esc(s[2])}<details><summary>source passage: ` +
    `<a href="texts/${encodeURIComponent(s[7])}.txt">${esc(s[7])}</a>, characters ${s[8]}–${s[9]}</summary>` +
    `<p class="passage">…${esc(s[10])}<mark>${esc(s[2])}</mark>${esc(s[11])}…</p></details></td>` +
    `<td>${esc(s[3])}</td><td>${esc(m ? m[1] : '')}</td><td>${esc(d ? d[1] : '')}</td><td>${tags}</td></tr>`;
}

function show(id, rows, render, counter, max) {
  field(counter).textContent = rows.length;
  document.querySelector(`#${id} tbody`).innerHTML = rows.slice(0, max).map(render).join('');
}

function update() {
  const f = wanted();
  const theme = f.theme ? data.themes.findIndex(t => t[0] === f.theme) : -1;
  const meetings = data.meetings.filter(m => matchesPlace(f, m[3], m[2]) && hasWords(f, m[1]));
  const documents = data.documents.filter(d => {
    const m = meetingOf(d[5]);
    return matchesPlace(f, d[4], councilOf(m)) && hasWords(f, d[1] + ' ' + (m ? m[1] : ''));
  });
  const statements = data.statements.filter(s => {
    const m = meetingOf(s[4]), d = documentOf(s[5]);
    return matchesPlace(f, yearOf(m, d), councilOf(m)) && (!f.kind || s[1] === f.kind)
      && (theme < 0 || s[6].includes(theme))
      && hasWords(f, [s[2], s[3], m ? m[1] : '', d ? d[1] : '', s[6].map(i => data.themes[i][0]).join(' ')].join(' '));
  });
  show('meetings', meetings, meetingRow, 'shown-meetings', Infinity);
  show('documents', documents, documentRow, 'shown-documents', Infinity);
  show('statements', statements, statementRow, 'shown', limit);
  field('more').hidden = statements.length <= limit;
  const state = new URLSearchParams();
  for (const c of controls) if (field(c).value) state.set(c, field(c).value);
  history.replaceState(null, '', state.toString() ? '#' + state.toString() : location.pathname);
}

const given = new URLSearchParams(location.hash.slice(1));
for (const c of controls) if (given.get(c)) field(c).value = given.get(c);
for (const c of controls) field(c).addEventListener('input', () => { limit = PAGE_ROWS; update(); });
field('more').addEventListener('click', () => { limit += PAGE_ROWS; update(); });
update();
