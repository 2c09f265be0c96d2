/* builder_rules.js: the rules of the questionnaire builder that need no page (builder.js uses
 * them; tests run them under Node): which fields a question type has, option lists from pasted
 * lines, matrix rows from the unit register, and the skip-logic and validation menus, which read
 * and write the expressions of questionnaires/expressions.py. Nothing here runs a string as code.
 */
(function (global) {
  'use strict';

  const CHOICE = ['single_choice', 'multiple_choice', 'dropdown'];
  const TEXT = ['text', 'textarea'];
  const COMMON = ['name', 'type', 'label', 'hint', 'required', 'required_message', 'relevant', 'constraint', 'constraint_message'];
  const EXTRA = {
    single_choice: ['options', 'choice_filter'], dropdown: ['options', 'choice_filter'],
    multiple_choice: ['options', 'choice_filter', 'max_choices'],
    rating: ['unit', 'dimension', 'allow_unknown'],
    matrix_rating: ['rows', 'unit', 'dimension', 'allow_unknown'],
    number: ['min', 'max', 'allow_decimal'], text: ['max_length', 'opinion', 'unit'],
    textarea: ['max_length', 'opinion', 'unit'], scale10: [], date: [], note: [],
  };
  const SCALE = [['5', '非常满意'], ['4', '满意'], ['3', '基本满意'], ['2', '不满意'], ['1', '非常不满意']];

  const short = (text, n) => { const t = String(text || '').replace(/\s+/g, ' ').trim(); return t.length > n ? t.slice(0, n) + '…' : t; };
  const quote = (v) => (String(v).indexOf("'") >= 0 ? '"' + v + '"' : "'" + v + "'");

  // --- names -------------------------------------------------------------------------------
  function freshName(prefix, taken) {
    let n = taken.size + 1;
    while (taken.has(prefix + n)) n += 1;
    return prefix + n;
  }
  const EXPRESSION_KEYS = ['relevant', 'constraint', 'required', 'choice_filter'];
  function renameReferences(items, from, to) { // ${from} and ${from__row} in expressions
    const pattern = new RegExp('\\$\\{' + from.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&') + '(__[^}]*)?\\}', 'g');
    items.forEach((item) => EXPRESSION_KEYS.forEach((k) => {
      if (typeof item[k] === 'string') item[k] = item[k].replace(pattern, (m, row) => '${' + to + (row || '') + '}');
    }));
  }

  // Where the questions and sections of `def` use the answers of the questions `names` (just
  // deleted), numbered as the page numbers them: ['第 3 部分', '第 4 题'].
  function dependents(def, names) {
    const gone = new Set(names);
    const uses = (item) => EXPRESSION_KEYS.some((k) => typeof item[k] === 'string'
      && (item[k].match(/\$\{[^}]+\}/g) || []).some((ref) => gone.has(ref.slice(2, -1).split('__')[0])));
    const found = [];
    let number = 0;
    def.sections.forEach((s, si) => {
      if (uses(s)) found.push('第 ' + (si + 1) + ' 部分');
      s.questions.forEach((q) => { number += 1; if (!gone.has(q.name) && uses(q)) found.push('第 ' + number + ' 题'); });
    });
    return found;
  }

  // Questions still showing the example texts a new question starts with (请输入题目, 选项 1):
  // valid, so the server accepts them, but never meant for respondents.
  const EXAMPLE_LABEL = '请输入题目', EXAMPLE_OPTION = /^选项 \d+$/;
  function examplesLeft(def) {
    const found = [];
    let number = 0;
    def.sections.forEach((s) => s.questions.forEach((q) => {
      number += 1;
      if (q.label === EXAMPLE_LABEL || (q.options || []).some((o) => EXAMPLE_OPTION.test(o.label))) found.push('第 ' + number + ' 题');
    }));
    return found;
  }

  // --- question types ----------------------------------------------------------------------
  function conform(q, allUnits) { // keep only the fields the type has, and give it what it needs
    const keep = new Set([...COMMON, ...EXTRA[q.type]]);
    Object.keys(q).forEach((k) => { if (!keep.has(k)) delete q[k]; });
    if (q.type === 'note') { delete q.required; delete q.constraint; delete q.constraint_message; }
    if (q.type === 'matrix_rating') { delete q.constraint; delete q.constraint_message; if (!q.rows) q.rows = []; }
    if (CHOICE.indexOf(q.type) >= 0 && !(q.options && q.options.length)) {
      q.options = [{ value: '1', label: '选项 1' }, { value: '2', label: '选项 2' }];
    }
    if (q.type === 'rating' && !q.unit && allUnits.length) q.unit = allUnits[0].code;
  }

  // Options from pasted lines: a line keeps the value of the option with the same text, or of
  // the option at its place (its text was edited); new lines get the lowest free number.
  function optionsFromLines(text, old) {
    const lines = text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    const used = new Set();
    const result = lines.map((label) => {
      const same = old.find((o) => o.label === label && !used.has(o.value));
      if (same) { used.add(same.value); return Object.assign({}, same, { label }); }
      return { label };
    });
    result.forEach((o, i) => {
      if (o.value !== undefined) return;
      const prev = old[i];
      let value = prev && !used.has(prev.value) && lines.indexOf(prev.label) < 0 ? prev.value : null;
      for (let n = 1; value === null; n += 1) if (!used.has(String(n))) value = String(n);
      used.add(value);
      o.value = value;
    });
    return result;
  }

  function rowId(code, taken) {
    let id = code.replace(/[^A-Za-z0-9_-]/g, '_').replace(/_{2,}/g, '_').slice(0, 30);
    if (!/^[A-Za-z0-9]/.test(id)) id = 'u' + id;
    let unique = id;
    for (let n = 2; taken.has(unique); n += 1) unique = id + '-' + n;
    taken.add(unique);
    return unique;
  }
  function rowsForUnits(q, codes, allUnits) { // in the unit directory's order; existing rows keep their ids
    const existing = new Map((q.rows || []).filter((r) => r.unit).map((r) => [r.unit, r]));
    const others = (q.rows || []).filter((r) => !r.unit);
    const taken = new Set(others.map((r) => r.id));
    existing.forEach((r, code) => { if (codes.has(code)) taken.add(r.id); });
    const rows = allUnits.filter((u) => codes.has(u.code)).map((u) => existing.get(u.code) || { id: rowId(u.code, taken), label: u.name, unit: u.code });
    return rows.concat(others);
  }

  // --- what conditions can refer to ---------------------------------------------------------
  function kindOf(q) {
    if (q.type === 'multiple_choice') return 'many';
    if (CHOICE.indexOf(q.type) >= 0) return 'one';
    if (q.type === 'rating' || q.type === 'matrix_rating') return 'scale';
    if (q.type === 'number' || q.type === 'scale10') return 'num';
    return 'text';
  }
  function candidatesBefore(def, si, qi) { // answers before question (si, qi); qi null: before section si
    const found = [];
    let number = 0;
    def.sections.forEach((s, i) => s.questions.forEach((q, j) => {
      number += 1;
      if (i > si || (i === si && (qi === null || j >= qi)) || q.type === 'note') return;
      const base = { kind: kindOf(q), options: q.options || [], unknown: !!q.allow_unknown };
      if (q.type === 'matrix_rating') {
        (q.rows || []).forEach((r) => found.push(Object.assign({}, base, { ref: q.name + '__' + r.id, label: number + '. ' + short(q.label, 16) + ' — ' + short(r.label, 14) })));
      } else found.push(Object.assign({}, base, { ref: q.name, label: number + '. ' + short(q.label, 28) }));
    }));
    return found;
  }

  const OPS = {
    eq: '等于', ne: '不等于', le: '小于或等于', ge: '大于或等于', lt: '小于', gt: '大于',
    has: '选中了', hasnt: '没有选中', filled: '已作答', empty: '未作答',
  };
  const SYMBOL = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };
  const KIND_OPS = {
    one: ['eq', 'ne', 'filled', 'empty'], many: ['has', 'hasnt', 'filled', 'empty'],
    scale: ['eq', 'ne', 'le', 'ge', 'lt', 'gt', 'filled', 'empty'], num: ['eq', 'ne', 'le', 'ge', 'lt', 'gt', 'filled', 'empty'],
    text: ['filled', 'empty'],
  };
  const needsValue = (op) => op !== 'filled' && op !== 'empty';
  function defaultValue(cand) {
    if (cand.kind === 'one' || cand.kind === 'many') return cand.options.length ? cand.options[0].value : '';
    return cand.kind === 'scale' ? '2' : '0';
  }
  function conditionText(c, cand) {
    const ref = '${' + c.ref + '}';
    if (c.op === 'filled') return ref + " != ''";
    if (c.op === 'empty') return ref + " = ''";
    if (c.op === 'has') return 'selected(' + ref + ', ' + quote(c.value) + ')';
    if (c.op === 'hasnt') return 'not(selected(' + ref + ', ' + quote(c.value) + '))';
    const numeric = cand && (cand.kind === 'scale' || cand.kind === 'num') && /^-?\d+(\.\d+)?$/.test(c.value);
    return ref + ' ' + SYMBOL[c.op] + ' ' + (numeric ? c.value : quote(c.value));
  }
  const STRING = "(?:'([^']*)'|\"([^\"]*)\")";
  const RE_NOT = new RegExp('^not\\(\\s*selected\\(\\s*\\$\\{([^}]+)\\}\\s*,\\s*' + STRING + '\\s*\\)\\s*\\)$');
  const RE_SELECTED = new RegExp('^selected\\(\\s*\\$\\{([^}]+)\\}\\s*,\\s*' + STRING + '\\s*\\)$');
  const RE_COMPARE = new RegExp('^\\$\\{([^}]+)\\}\\s*(!=|<=|>=|=|<|>)\\s*(?:' + STRING + '|(-?\\d+(?:\\.\\d+)?))$');
  function parseOne(text, cands) {
    let m = RE_NOT.exec(text), c = null;
    if (m) c = { ref: m[1], op: 'hasnt', value: m[2] !== undefined ? m[2] : m[3] };
    else if ((m = RE_SELECTED.exec(text))) c = { ref: m[1], op: 'has', value: m[2] !== undefined ? m[2] : m[3] };
    else if ((m = RE_COMPARE.exec(text))) {
      const str = m[3] !== undefined ? m[3] : m[4];
      const op = Object.keys(SYMBOL).find((k) => SYMBOL[k] === m[2]);
      if (str === '' && (op === 'eq' || op === 'ne')) c = { ref: m[1], op: op === 'eq' ? 'empty' : 'filled', value: '' };
      else c = { ref: m[1], op, value: str !== undefined ? str : m[5] };
    }
    const cand = c && cands.find((x) => x.ref === c.ref);
    return cand && KIND_OPS[cand.kind].indexOf(c.op) >= 0 ? c : null;
  }
  function parseCondition(text, cands) { // {join, conds} or null when the menus cannot show it
    const t = (text || '').trim();
    if (!t) return { join: 'and', conds: [] };
    const and = / and /.test(t), or = / or /.test(t);
    if (and && or) return null;
    const join = or ? 'or' : 'and';
    const conds = t.split(join === 'or' ? / or / : / and /).map((p) => parseOne(p.trim(), cands));
    return conds.every(Boolean) ? { join, conds } : null;
  }
  function writeCondition(parsed, cands) {
    return parsed.conds.map((c) => conditionText(c, cands.find((x) => x.ref === c.ref))).join(' ' + parsed.join + ' ');
  }

  // Validation of the answer itself (constraint, `.` = this answer).
  const CHECKS = {
    num: [['ge', '不小于', '. >= #'], ['le', '不大于', '. <= #'], ['gt', '大于', '. > #'], ['lt', '小于', '. < #']],
    text: [['minlen', '至少几个字', 'string-length(.) >= #'], ['maxlen', '最多几个字', 'string-length(.) <= #'],
      ['mobile', '是手机号码', "regex(., '1[3-9][0-9]{9}')"], ['digits', '只含数字', "regex(., '[0-9]+')"]],
    many: [['minsel', '至少选几项', 'count-selected(.) >= #'], ['maxsel', '至多选几项', 'count-selected(.) <= #']],
    date: [['past', '不晚于今天', '. <= today()'], ['future', '不早于今天', '. >= today()']],
  };
  function checksFor(q) {
    if (q.type === 'number' || q.type === 'scale10') return CHECKS.num;
    if (TEXT.indexOf(q.type) >= 0) return CHECKS.text;
    if (q.type === 'multiple_choice') return CHECKS.many;
    if (q.type === 'date') return CHECKS.date;
    return [];
  }
  function parseCheck(text, list) {
    const t = (text || '').trim();
    for (const [key, , pattern] of list) {
      const re = new RegExp('^' + pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s*').replace('#', '(-?\\d+(?:\\.\\d+)?)') + '$');
      const m = re.exec(t);
      if (m) return { key, value: m[1] || '' };
    }
    return null;
  }

  // A validation rule's expression with its number filled in (1 when none is given yet).
  function makeCheck(entry, value) {
    return entry[2].replace('#', value === undefined || value === null || value === '' ? '1' : value);
  }

  const api = { CHOICE, TEXT, SCALE, OPS, KIND_OPS, CHECKS, short, quote, freshName, renameReferences, dependents, examplesLeft, conform, optionsFromLines, rowsForUnits, kindOf, candidatesBefore, needsValue, defaultValue, conditionText, parseCondition, writeCondition, checksFor, parseCheck, makeCheck };
  if (typeof module === 'object' && module.exports) module.exports = api; // for tests in Node
  else global.BuilderRules = api;
})(this);
