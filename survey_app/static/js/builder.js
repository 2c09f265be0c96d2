/* builder.js: the questionnaire builder (可视化编辑), for templates/admin/questionnaire_builder.html.
 *
 * The page embeds the draft as the canonical definition JSON (questionnaires/definition.py) in
 * <script type="application/json" id="builder-state">. This script edits that JSON in memory,
 * renders the editor from it (DOM nodes and textContent only, never HTML strings), keeps an undo
 * history of whole snapshots, shows the draft in a 375 px frame rendered by the server, and saves
 * it whole. Skip logic and validation are chosen from menus that write the same expressions a
 * YAML author would (questionnaires/expressions.py); the expression stays visible and editable.
 * The server re-reads and checks everything, and says where each problem is. The form controls
 * and menu editors live in builder_controls.js, the pure rules behind the menus in builder_rules.js.
 */
(function () {
  'use strict';

  const root = document.getElementById('builder');
  const stateEl = document.getElementById('builder-state');
  if (!root || !stateEl) return;
  const boot = JSON.parse(stateEl.textContent);
  let def = boot.definition;
  let versionId = boot.version;
  let published = boot.published;
  // The stored draft this page's edits start from: the server refuses a save over a draft that
  // was changed since (another tab, another administrator) unless the clerk chooses to overwrite.
  let revision = boot.revision;
  const unitGroups = boot.units;
  const allUnits = unitGroups.flatMap((g) => g.units);
  const typeLabel = Object.fromEntries(boot.types.map((t) => [t.value, t.label]));
  let csrf = root.querySelector('input[name="_csrf_token"]').value;
  const editor = root.querySelector('[data-editor]');
  const frame = root.querySelector('[data-preview]');
  const previewStatus = root.querySelector('[data-preview-status]');
  const problemBox = root.querySelector('[data-problems]');
  const statusText = root.querySelector('[data-status-text]');
  const undoButton = root.querySelector('[data-action="undo"]');
  const R = window.BuilderRules;
  const { CHOICE, TEXT, freshName, renameReferences, optionsFromLines } = R;
  const conform = (q) => R.conform(q, allUnits);
  const candidatesBefore = (si, qi) => R.candidatesBefore(def, si, qi);
  // The form controls (builder_controls.js) change the draft through edit(), declared below.
  const { h, textField, numberField, checkField, selectField, setKey, unitChoices, single, tool,
    conditionEditor, checkEditor, unitMatrix } = window.BuilderControls({ edit, unitGroups, allUnits });

  // --- small helpers ---------------------------------------------------------------------------
  const clone = (v) => JSON.parse(JSON.stringify(v));
  const say = (text) => { statusText.textContent = text; };

  // --- history -----------------------------------------------------------------------------
  const past = []; // JSON snapshots before each change, newest last
  let typing = null; // the field being typed into: one undo step per visit to a field
  let dirty = false;
  let reveal = false; // a deletion or move: the next preview lists what it broke, not only marks it
  function edit(change, opts) {
    const o = opts || {};
    if (!o.typing || o.typing !== typing) {
      past.push(JSON.stringify(def));
      if (past.length > 100) past.shift();
    }
    typing = o.typing || null;
    if (o.reveal) reveal = true;
    change();
    if (!dirty) say('有未保存的修改'); // the bar must not go on saying 已保存
    dirty = true;
    undoButton.disabled = false;
    if (o.render !== false) render();
    schedulePreview();
  }
  function undo() {
    if (!past.length) return;
    def = JSON.parse(past.pop());
    typing = null;
    dirty = true;
    undoButton.disabled = !past.length;
    render();
    schedulePreview();
    say('已撤销上一步修改');
  }
  editor.addEventListener('focusin', (e) => { if (e.target.id !== typing) typing = null; });

  // --- names -------------------------------------------------------------------------------
  const questions = () => def.sections.flatMap((s) => s.questions);
  const newQuestionName = () => freshName('q', new Set(questions().map((q) => q.name)));
  const newSectionId = () => freshName('s', new Set([...def.sections.map((s) => s.id), ...questions().map((q) => q.name)]));

  function newQuestion(type) {
    const q = { name: newQuestionName(), type, label: '' };
    conform(q);
    return q;
  }



  // --- one question --------------------------------------------------------------------------
  let openName = null; // the question whose editor is open
  let problems = []; // the latest problems from the server, with indices
  const ASKS_PERSONAL = /电话|手机|座机|联系方式|身份证|证件号|邮箱|电子邮件|车牌/;
  const MASKED_NOTE = '注意：为保护个人信息，文字答案中的手机号、固定电话、身份证号、邮箱和车牌号会在保存前自动遮盖'
    + '（例如显示为【手机号】），这道题收不到完整号码。需要联系受访者时，请使用样本框中的联系方式。';
  const advancedOpen = new Set(); // questions whose 高级设置 stay open across re-renders

  function questionEditor(id, q, si, qi) {
    const body = h('div', { class: 'bq-body' });
    const mine = problems.filter((p) => p.section === si && p.question === qi);
    if (mine.length) body.append(h('ul', { class: 'bq-problems' }, mine.map((p) => h('li', { text: p.message }))));
    body.append(selectField(id + '-type', '题型', boot.types, q.type, (v) => { q.type = v; conform(q); }));
    body.append(textField(id + '-label', q.type === 'note' ? '说明文字' : '题目文字', q.label, (v) => {
      q.label = v;
      const summary = document.getElementById(id + '-summary');
      if (summary) summary.textContent = v || '（未填题目文字）';
      const masked = document.getElementById(id + '-masked');
      if (masked) masked.hidden = !ASKS_PERSONAL.test(v);
    }, { rows: 2 }));
    if (TEXT.indexOf(q.type) >= 0) {
      // Text answers are masked before they are stored (services/submissions.py): say so
      // while the clerk is still writing a question that asks for such a number.
      const masked = h('p', { id: id + '-masked', class: 'bq-note', role: 'note', text: MASKED_NOTE });
      masked.hidden = !ASKS_PERSONAL.test(q.label || '');
      body.append(masked);
    }
    body.append(textField(id + '-hint', '提示（可不填）', q.hint, (v) => setKey(q, 'hint', v)));
    if (q.type !== 'note') body.append(checkField(id + '-required', '必答', q.required === true, (v) => setKey(q, 'required', v)));
    if (CHOICE.indexOf(q.type) >= 0) {
      body.append(textField(id + '-options', '选项（每行一个，可直接粘贴）', (q.options || []).map((o) => o.label).join('\n'),
        (v) => { q.options = optionsFromLines(v, q.options || []); }, { rows: Math.max(3, (q.options || []).length + 1) }));
      if (q.type === 'multiple_choice') body.append(numberField(id + '-max-choices', '最多可选几项（可不填）', q.max_choices, (v) => setKey(q, 'max_choices', v)));
    }
    if (q.type === 'rating') body.append(selectField(id + '-unit', '被评价单位', unitChoices('请选择单位'), q.unit || '', (v) => setKey(q, 'unit', v)));
    if (q.type === 'matrix_rating') body.append(unitMatrix(id, q));
    if (q.type === 'rating' || q.type === 'matrix_rating') {
      body.append(textField(id + '-dimension', '评价维度（可不填，如“服务态度”）', q.dimension, (v) => setKey(q, 'dimension', v)));
      body.append(checkField(id + '-unknown', '增加“不了解”选项', q.allow_unknown, (v) => setKey(q, 'allow_unknown', v)));
    }
    if (q.type === 'number') {
      body.append(h('div', { class: 'brow' }, numberField(id + '-min', '最小值', q.min, (v) => setKey(q, 'min', v)), numberField(id + '-max', '最大值', q.max, (v) => setKey(q, 'max', v))));
      body.append(checkField(id + '-decimal', '允许小数', q.allow_decimal, (v) => setKey(q, 'allow_decimal', v)));
    }
    if (TEXT.indexOf(q.type) >= 0) {
      body.append(numberField(id + '-maxlen', '最多字数（可不填）', q.max_length, (v) => setKey(q, 'max_length', v)));
      body.append(checkField(id + '-opinion', '这是意见建议（纳入意见主题分析）', q.opinion, (v) => setKey(q, 'opinion', v)));
      body.append(selectField(id + '-unit', '意见针对的单位（可不选）', unitChoices('不针对具体单位'), q.unit || '', (v) => setKey(q, 'unit', v)));
    }
    body.append(conditionEditor(id + '-relevant', '显示条件（跳题逻辑）：满足时才显示本题', () => q.relevant || '', candidatesBefore(si, qi), (v) => setKey(q, 'relevant', v.trim())));
    if (q.type !== 'note' && q.type !== 'matrix_rating') body.append(checkEditor(id + '-constraint', q));
    const advanced = h('details', {
      class: 'badvanced', open: advancedOpen.has(q.name),
      ontoggle: (e) => { if (e.target.open) advancedOpen.add(q.name); else advancedOpen.delete(q.name); },
    }, h('summary', { text: '高级设置' }));
    advanced.append(h('div', { class: 'bfield' }, h('label', { for: id + '-name', text: '题目编号（数据导出时的列名）' }), h('input', {
      id: id + '-name', type: 'text', class: 'mono', value: q.name, spellcheck: 'false',
      onchange: (e) => {
        const to = e.target.value.trim(), from = q.name;
        if (!to || to === from) return;
        edit(() => { q.name = to; renameReferences(questions().concat(def.sections), from, to); openName = to; }, { render: false });
        // Every id of the question carries its name: re-draw once the focus has reached the
        // field the clerk moved to, and give that field (under its new id) the focus back.
        renderWhenCalm([id + '-', 'b-' + to.replace(/[^A-Za-z0-9_-]/g, '_') + '-']);
      },
    })));
    if (q.type !== 'note') {
      advanced.append(textField(id + '-required-expr', '条件必答（表达式，满足时必答）', typeof q.required === 'string' ? q.required : '', (v) => setKey(q, 'required', v.trim()), { code: true }));
      advanced.append(textField(id + '-required-msg', '未作答时的提示', q.required_message, (v) => setKey(q, 'required_message', v)));
    }
    if (CHOICE.indexOf(q.type) >= 0) advanced.append(textField(id + '-filter', '选项筛选条件（choice_filter 表达式）', q.choice_filter, (v) => setKey(q, 'choice_filter', v.trim()), { code: true }));
    body.append(advanced);
    return body;
  }

  // After a deletion: the deleted part had the focus, so it goes to 撤销, which brings it back.
  // Conditions that used the deleted answers are named at once (the preview then lists them).
  function removed(message, names) {
    const users = R.dependents(def, names);
    say(message + (users.length ? '。注意：' + users.join('、') + '的条件用到了被删除的题目，现在无法使用，请修改这些条件或点“撤销”。' : '，可撤销'));
    undoButton.focus();
  }

  function moveQuestion(si, qi, step) {
    const list = def.sections[si].questions;
    const [q] = list.splice(qi, 1);
    if (qi + step >= 0 && qi + step <= list.length) list.splice(qi + step, 0, q);
    else if (step < 0) def.sections[si - 1].questions.push(q); // to the end of the previous section
    else def.sections[si + 1].questions.unshift(q);
  }

  function questionItem(si, qi, number) {
    const section = def.sections[si], q = section.questions[qi];
    const id = 'b-' + q.name.replace(/[^A-Za-z0-9_-]/g, '_');
    const isOpen = openName === q.name;
    const first = si === 0 && qi === 0;
    const last = si === def.sections.length - 1 && qi === section.questions.length - 1;
    const hasProblem = problems.some((p) => p.section === si && p.question === qi);
    const li = h('li', { class: 'bq' + (isOpen ? ' open' : '') + (hasProblem ? ' has-problem' : ''), id });
    li.append(h('div', { class: 'bq-head' },
      h('button', { type: 'button', class: 'bq-title', id: id + '-toggle', 'aria-expanded': String(isOpen), onclick: () => { openName = isOpen ? null : q.name; render(); } },
        h('span', { class: 'bq-no', text: number + '.' }), h('span', { class: 'bq-type', text: typeLabel[q.type] || q.type }),
        h('span', { class: 'bq-label', id: id + '-summary', text: q.label || '（未填题目文字）' }),
        q.relevant ? h('span', { class: 'bq-flag', text: '有显示条件' }) : null,
        hasProblem ? h('span', { class: 'bq-flag bad', text: '有问题' }) : null),
      h('span', { class: 'bq-tools' },
        tool('上移', '上移第 ' + number + ' 题', () => edit(() => moveQuestion(si, qi, -1), { reveal: true }), first, id + '-up'),
        tool('下移', '下移第 ' + number + ' 题', () => edit(() => moveQuestion(si, qi, 1), { reveal: true }), last, id + '-down'),
        tool('复制', '复制第 ' + number + ' 题', single(() => edit(() => { const copy = clone(q); copy.name = newQuestionName(); section.questions.splice(qi + 1, 0, copy); openName = copy.name; })), false, id + '-copy'),
        tool('删除', '删除第 ' + number + ' 题', single(() => { edit(() => section.questions.splice(qi, 1), { reveal: true }); removed('已删除第 ' + number + ' 题', [q.name]); })))));
    if (isOpen) li.append(questionEditor(id, q, si, qi));
    return li;
  }

  // --- sections and the whole page --------------------------------------------------------------
  function sectionCard(si, firstNumber) {
    const s = def.sections[si];
    const id = 'b-sec-' + si;
    const card = h('section', { class: 'card bsection', id, 'aria-labelledby': id + '-h' });
    card.append(h('div', { class: 'bs-head' }, h('h2', { id: id + '-h', text: '第 ' + (si + 1) + ' 部分' }), h('span', { class: 'bq-tools' },
      tool('上移', '上移第 ' + (si + 1) + ' 部分', () => edit(() => def.sections.splice(si - 1, 0, def.sections.splice(si, 1)[0]), { reveal: true }), si === 0),
      tool('下移', '下移第 ' + (si + 1) + ' 部分', () => edit(() => def.sections.splice(si + 1, 0, def.sections.splice(si, 1)[0]), { reveal: true }), si === def.sections.length - 1),
      tool('复制', '复制第 ' + (si + 1) + ' 部分', single(() => edit(() => {
        const copy = clone(s);
        copy.id = newSectionId();
        copy.title = s.title + '（副本）';
        const taken = new Set(questions().map((q) => q.name));
        copy.questions.forEach((q) => { const from = q.name; q.name = freshName('q', taken); taken.add(q.name); renameReferences(copy.questions, from, q.name); });
        def.sections.splice(si + 1, 0, copy);
      }))),
      tool('删除', '删除第 ' + (si + 1) + ' 部分', single(() => { edit(() => def.sections.splice(si, 1), { reveal: true }); removed('已删除第 ' + (si + 1) + ' 部分', s.questions.map((q) => q.name)); }), def.sections.length === 1))));
    const mine = problems.filter((p) => p.section === si && p.question === null);
    if (mine.length) card.append(h('ul', { class: 'bq-problems' }, mine.map((p) => h('li', { text: p.message }))));
    card.append(textField(id + '-title', '部分标题', s.title, (v) => { s.title = v; }));
    card.append(textField(id + '-desc', '部分说明（可不填）', s.description, (v) => setKey(s, 'description', v)));
    if (si > 0) {
      card.append(h('details', { class: 'badvanced', open: !!s.relevant }, h('summary', { text: '本部分的显示条件' + (s.relevant ? '（已设置）' : '') }),
        conditionEditor(id + '-relevant', '满足时才显示本部分', () => s.relevant || '', candidatesBefore(si, null), (v) => setKey(s, 'relevant', v.trim()))));
    }
    card.append(h('ol', { class: 'bquestions', start: firstNumber }, s.questions.map((q, qi) => questionItem(si, qi, firstNumber + qi))));
    const typeId = id + '-newtype';
    const typeSelect = h('select', { id: typeId }, boot.types.map((t) => h('option', { value: t.value, text: t.label })));
    card.append(h('div', { class: 'badd' }, h('label', { for: typeId, text: '题型' }), typeSelect, h('button', {
      type: 'button', id: id + '-add', text: '添加题目',
      onclick: single(() => {
        const q = newQuestion(typeSelect.value);
        edit(() => { s.questions.push(q); openName = q.name; });
        const label = document.getElementById('b-' + q.name + '-label');
        if (label) label.focus();
      }),
    })));
    return card;
  }

  function headerCard() {
    const mine = problems.filter((p) => p.section === null || p.section === undefined);
    return h('section', { class: 'card', 'aria-labelledby': 'b-head-h' }, h('h2', { id: 'b-head-h', text: '问卷信息' }),
      mine.length ? h('ul', { class: 'bq-problems', id: 'b-head-problems' }, mine.map((p) => h('li', { text: p.message }))) : null,
      textField('b-title', '问卷标题', def.title, (v) => { def.title = v; }),
      textField('b-description', '问卷说明（可不填）', def.description, (v) => setKey(def, 'description', v), { rows: 2 }),
      textField('b-intro', '开场说明（显示在第一题前：调查目的、隐私说明）', def.intro, (v) => setKey(def, 'intro', v), { rows: 4 }));
  }

  function selection(el) { try { return [el.selectionStart, el.selectionEnd]; } catch (e) { return null; } }
  // Re-drawing replaces the editor's controls, so some moments must wait for it:
  // - a change event comes while the focus is moving (a click or Tab leaves the field): the
  //   field being moved to would be replaced, and the focus and the first keys lost;
  // - while a button is pressed, its click would land on the replaced button and be lost;
  // - under an input method's composition (pinyin not yet turned into characters), the
  //   composition would be cut off and the pinyin kept as text.
  // renderWhenCalm() re-draws once the focus has arrived, the press and the composition ended.
  let pressing = false, composing = false, waiting = false, waitingRename = null;
  function renderWhenCalm(renamed) {
    waiting = true;
    if (renamed) waitingRename = renamed;
    if (!pressing && !composing) settle();
  }
  function settle() { setTimeout(() => { if (waiting && !pressing && !composing) render(); }, 0); }
  document.addEventListener('pointerdown', () => { pressing = true; }, true);
  ['pointerup', 'pointercancel'].forEach((type) => document.addEventListener(type, () => { pressing = false; if (waiting) settle(); }, true));
  editor.addEventListener('compositionstart', () => { composing = true; });
  editor.addEventListener('compositionend', () => { composing = false; if (waiting) settle(); });
  editor.addEventListener('focusout', () => { composing = false; if (waiting) settle(); }); // no composition outlives its field
  function render() {
    const renamed = waitingRename; // [old id prefix, new id prefix] after a question's new name
    waiting = false;
    waitingRename = null;
    const active = document.activeElement && editor.contains(document.activeElement) ? document.activeElement : null;
    let focused = active && active.id;
    const caret = active && selection(active);
    if (focused && renamed && focused.indexOf(renamed[0]) === 0) focused = renamed[1] + focused.slice(renamed[0].length);
    let number = 1;
    const cards = def.sections.map((s, si) => { const card = sectionCard(si, number); number += s.questions.length; return card; });
    editor.replaceChildren(headerCard(), ...cards, h('p', {}, h('button', {
      type: 'button', id: 'b-add-section', text: '添加部分',
      onclick: single(() => edit(() => def.sections.push({ id: newSectionId(), title: '第 ' + (def.sections.length + 1) + ' 部分', questions: [] }))),
    })));
    const again = focused && document.getElementById(focused);
    if (again) {
      // The box being typed in keeps its text as typed (e.g. the new empty line of an option
      // list), not the text rebuilt from the definition.
      if (again.tagName === active.tagName && (active.tagName === 'TEXTAREA' || active.type === 'text' || active.type === 'number')) again.value = active.value;
      again.focus({ preventScroll: true });
      if (caret && caret[0] !== null) try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not a text box */ }
    }
  }

  // --- server: preview, problems, save -------------------------------------------------------
  function payload() { // the definition without empty optional fields: what YAML would omit
    const d = clone(def);
    const prune = (o, keep) => Object.keys(o).forEach((k) => { if (keep.indexOf(k) < 0 && (o[k] === '' || o[k] === false || o[k] === null)) delete o[k]; });
    prune(d, ['id', 'title']);
    d.sections.forEach((s) => { prune(s, ['id', 'title']); s.questions.forEach((q) => prune(q, ['name', 'type', 'label'])); });
    return { definition: d };
  }
  function send(path, extra) {
    return fetch(path, {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(Object.assign(payload(), extra || {})),
      headers: { 'content-type': 'application/json', 'x-csrftoken': csrf, accept: 'application/json, text/html' },
    });
  }
  // A login in another tab (after the session expired) gives a new session and a new CSRF token;
  // this page still holds the old one. Fetch the builder page again for the token of the current
  // session, so that saving works again without reloading (which would lose the edits).
  async function freshToken() {
    try {
      const r = await fetch('/questionnaires/versions/' + versionId + '/builder', { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!r.ok) return false;
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      const input = doc.getElementById('builder-state') && doc.querySelector('#builder input[name="_csrf_token"]');
      if (!input || input.value === csrf) return false;
      csrf = input.value;
      return true;
    } catch (e) { return false; }
  }
  async function post(path, extra) {
    const r = await send(path, extra);
    return r.status === 403 && await freshToken() ? send(path, extra) : r;
  }

  // Problems from a save open the list above the editor (and take the focus); problems from the
  // live preview only mark the questions, and refresh the list if it is open.
  function showProblems(list, fromSave, open) {
    const same = JSON.stringify(list) === JSON.stringify(problems);
    problems = list;
    if (same && !fromSave && !(open && problemBox.hidden)) return;
    const listed = list.length > 0 && (fromSave || open || !problemBox.hidden);
    problemBox.replaceChildren();
    problemBox.hidden = !listed;
    if (listed) {
      problemBox.append(h('h2', { text: '有 ' + list.length + ' 处问题需要修改：' }), h('ul', {}, list.map((p) => h('li', {},
        p.location + '：' + p.message + ' ',
        p.question !== null && p.question !== undefined && def.sections[p.section] && def.sections[p.section].questions[p.question]
          ? h('button', { type: 'button', class: 'btool', text: '去修改', onclick: () => openQuestion(p.section, p.question) }) : null))));
    }
    if (fromSave) render(); else renderWhenCalm(); // the preview comes at any moment
    if (listed && fromSave) problemBox.focus();
  }
  function openQuestion(si, qi) {
    const q = def.sections[si].questions[qi];
    openName = q.name;
    render();
    const target = document.getElementById('b-' + q.name.replace(/[^A-Za-z0-9_-]/g, '_') + '-toggle');
    if (target) { target.scrollIntoView({ block: 'start' }); target.focus(); }
  }

  // --- a copy of unsaved edits in this browser ---------------------------------------------
  // A closed tab, a crash or a reload after 离开 must not lose an afternoon's work: every change
  // is kept in localStorage under the version, and the next visit offers it back (with its time,
  // the clerk decides; restoring can be undone). Saving removes it.
  const backupKey = () => 'survey-builder-draft-' + versionId;
  function keepCopy() {
    try {
      if (dirty) localStorage.setItem(backupKey(), JSON.stringify({ definition: def, at: Date.now(), revision }));
      else localStorage.removeItem(backupKey());
    } catch (e) { /* storage full or disabled: the beforeunload warning still applies */ }
  }
  function offerCopy() {
    let copy = null;
    try { copy = JSON.parse(localStorage.getItem(backupKey()) || 'null'); } catch (e) { copy = null; }
    if (!copy || !copy.definition || JSON.stringify(copy.definition) === JSON.stringify(def)) return;
    const at = new Date(copy.at);
    const time = (at.getMonth() + 1) + ' 月 ' + at.getDate() + ' 日 ' + String(at.getHours()).padStart(2, '0') + ':' + String(at.getMinutes()).padStart(2, '0');
    say('本页有 ' + time + ' 未保存的修改（保存在本浏览器中）。');
    statusText.append(' ', h('button', { type: 'button', id: 'b-restore', onclick: () => {
      // The copy was made on top of the revision it names: saving it must not silently replace
      // what was saved since (the server asks first, as for a second tab).
      if (copy.revision) revision = copy.revision;
      edit(() => { def = copy.definition; });
      say('已恢复未保存的修改，请检查后点“保存草稿”。');
    }, text: '恢复这些修改' }),
      ' ', h('button', { type: 'button', id: 'b-discard', onclick: () => { try { localStorage.removeItem(backupKey()); } catch (e) { /* nothing kept */ } say('已放弃未保存的修改。'); }, text: '放弃' }));
  }

  let previewTimer = null, previewSeq = 0;
  function schedulePreview() { keepCopy(); clearTimeout(previewTimer); frame.setAttribute('aria-busy', 'true'); previewTimer = setTimeout(preview, 600); }
  async function preview() {
    const seq = ++previewSeq;
    frame.setAttribute('aria-busy', 'true');
    previewStatus.textContent = '正在更新预览…';
    try {
      const r = await post('/questionnaires/versions/' + versionId + '/builder/preview');
      if (seq !== previewSeq) return;
      if (r.ok) {
        frame.srcdoc = await r.text();
        previewStatus.textContent = '预览已更新。';
        reveal = false;
        showProblems([], false);
      } else if (r.status === 400) {
        const body = await r.json();
        previewStatus.textContent = '草稿有 ' + body.problems.length + ' 处问题（已在编辑区标出），预览显示上次正确的内容。';
        showProblems(body.problems, false, reveal);
        reveal = false;
      } else previewStatus.textContent = '预览暂时无法更新（' + r.status + '）。';
    } catch (e) {
      previewStatus.textContent = '预览暂时无法更新，请检查网络。';
    }
    if (seq === previewSeq) frame.setAttribute('aria-busy', 'false');
  }
  frame.addEventListener('load', () => { // show the open question in the frame
    const doc = frame.contentDocument;
    const target = doc && openName && doc.getElementById('q-' + openName);
    if (target && doc.scrollingElement) doc.scrollingElement.scrollTop = Math.max(0, target.offsetTop - 60);
  });

  async function save(overwrite) {
    say('正在保存…');
    const sent = JSON.stringify(def);
    let r, body;
    try {
      r = await post('/questionnaires/versions/' + versionId + '/builder', { revision, overwrite: overwrite === true });
      body = (r.headers.get('content-type') || '').indexOf('json') >= 0 ? await r.json() : null;
    } catch (e) {
      say('保存失败：网络或服务器暂时不可用，修改仍在本页，请稍后再试。');
      return null;
    }
    if (!body || r.status === 401 || r.status === 403) {
      say('没有保存：登录可能已过期。请');
      statusText.append(h('a', { href: '/login', target: '_blank', rel: 'noopener', text: '在新的标签页重新登录' }),
        '，然后回到本页再点“保存草稿”（修改仍在本页，不要刷新或关闭本页）。');
      return null;
    }
    if (r.status === 409 && body.conflict) {
      // Changed elsewhere since this page was opened: nothing was stored, every edit stays here
      // (and in this browser's copy); overwriting is the clerk's explicit choice.
      say(body.message + ' ');
      statusText.append(h('button', { type: 'button', id: 'b-overwrite', text: '仍然保存（覆盖对方的修改）', onclick: single(() => save(true)) }));
      keepCopy();
      return null;
    }
    if (!r.ok) {
      say((body && body.message) || '保存失败');
      showProblems((body && body.problems) || [], true);
      return null;
    }
    // Edits made while the request was on its way are still unsaved.
    dirty = JSON.stringify(def) !== sent;
    revision = body.revision;
    try { localStorage.removeItem(backupKey()); } catch (e) { /* nothing kept */ }
    if (body.version !== versionId) {
      versionId = body.version;
      published = false;
      history.replaceState(null, '', body.builder_url);
    }
    keepCopy();
    showProblems([], false);
    say(body.message);
    return body;
  }
  async function publish() {
    const examples = R.examplesLeft(def);
    if (examples.length) { say('还不能发布：' + examples.join('、') + '还是示例文字（“请输入题目”或“选项 1”），请改成要问的内容。'); return; }
    const body = await save();
    if (!body) return;
    if (published) { say('内容没有变化：该版本已经发布。'); return; }
    location.href = body.publish_url;
  }

  root.querySelector('[data-action="save"]').addEventListener('click', save);
  root.querySelector('[data-action="publish"]').addEventListener('click', publish);
  undoButton.addEventListener('click', undo);
  document.addEventListener('keydown', (e) => {
    const inText = e.target.closest && e.target.closest('input[type=text],input:not([type]),textarea,input[type=number]');
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && (e.key === 'z' || e.key === 'Z') && !inText) { e.preventDefault(); undo(); }
  });
  window.addEventListener('beforeunload', (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } });

  openName = questions().length ? questions()[0].name : null;
  render();
  preview();
  offerCopy();
})();
