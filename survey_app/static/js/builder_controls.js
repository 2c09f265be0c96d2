/* builder_controls.js: the questionnaire builder's form controls, for builder.js (loaded before
 * it, after builder_rules.js). DOM nodes and textContent only, never HTML strings.
 *
 * The fields, the skip-logic and validation editors and the unit picker change the draft through
 * the page's edit() (one undo step per change); builder.js keeps the draft, its history, the
 * rendering of the whole editor and the talk with the server.
 */
window.BuilderControls = function (ctx) {
  'use strict';

  const { edit, unitGroups, allUnits } = ctx;
  const R = window.BuilderRules;
  const { SCALE, OPS, KIND_OPS, needsValue, defaultValue, checksFor, parseCheck } = R;
  const rowsForUnits = (q, codes) => R.rowsForUnits(q, codes, allUnits);
  const parseCondition = R.parseCondition, writeCondition = R.writeCondition;

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    let value;
    Object.entries(props || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') el.textContent = v;
      else if (k === 'value') value = v;
      else if (k === 'checked') el.checked = true;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    });
    kids.flat().forEach((c) => { if (c !== null && c !== undefined && c !== false) el.append(c); });
    if (value !== undefined) el.value = value;
    return el;
  }

  // --- form controls -------------------------------------------------------------------------
  function textField(id, label, value, set, opts) {
    const o = opts || {};
    const input = h(o.rows ? 'textarea' : 'input', {
      id, rows: o.rows, type: o.rows ? null : 'text', placeholder: o.placeholder, spellcheck: o.code ? 'false' : null,
      class: o.code ? 'mono' : null, value: value || '',
      oninput: (e) => edit(() => set(e.target.value), { typing: id, render: false }),
      onchange: o.onchange || null,
    });
    return h('div', { class: 'bfield' + (o.wide ? ' wide' : '') }, h('label', { for: id, text: label }), input, o.hint ? h('small', { text: o.hint }) : null);
  }
  function numberField(id, label, value, set) {
    return h('div', { class: 'bfield' }, h('label', { for: id, text: label }), h('input', {
      id, type: 'number', inputmode: 'decimal', value: value === undefined || value === null ? '' : String(value),
      oninput: (e) => edit(() => { const v = e.target.value.trim(); set(v === '' ? undefined : (isFinite(+v) ? +v : v)); }, { typing: id, render: false }),
    }));
  }
  function checkField(id, label, checked, set) {
    return h('div', { class: 'bcheck' }, h('input', { id, type: 'checkbox', checked: !!checked, onchange: (e) => edit(() => set(e.target.checked)) }), h('label', { for: id, text: label }));
  }
  function selectField(id, label, choices, value, set) {
    const select = h('select', { id, value: value, onchange: (e) => edit(() => set(e.target.value)) },
      choices.map((c) => (c.group ? h('optgroup', { label: c.group }, c.items.map((i) => h('option', { value: i.value, text: i.label })))
        : h('option', { value: c.value, text: c.label }))));
    return h('div', { class: 'bfield' }, h('label', { for: id, text: label }), select);
  }
  function setKey(obj, key, value) { if (value === undefined || value === '' || value === false) delete obj[key]; else obj[key] = value; }
  const unitChoices = (blank) => [{ value: '', label: blank }].concat(unitGroups.map((g) => ({ group: g.category, items: g.units.map((u) => ({ value: u.code, label: u.name })) })));
  // Clerks double-click buttons out of habit: the second click of a double-click would land on
  // the re-rendered editor (the next question's 删除) and act again. Keyboard and single clicks pass.
  const single = (action) => (e) => { if (!e || !e.detail || e.detail < 2) action(e); };
  // A small button; its accessible name starts with its visible text (WCAG 2.5.3).
  function tool(label, aria, action, disabled, id) {
    return h('button', { type: 'button', class: 'btool', id, 'aria-label': aria, disabled: !!disabled, onclick: action, text: label });
  }

  // --- condition editor (skip logic) --------------------------------------------------------
  // The menus and the expression show the same condition. Each side updates the other in
  // place: typing in the expression re-draws only the menus (never the box being typed in, nor
  // the field the clerk clicks next, which a re-draw on leaving the expression used to replace).
  function conditionEditor(id, legend, get, cands, set) {
    const box = h('fieldset', { class: 'bcond' }, h('legend', { text: legend }));
    let menus = null;
    const expr = textField(id + '-expr', '表达式（高级，可直接修改）', get(), (v) => { set(v); redraw(); },
      { code: true, hint: '例：${q1} = \'1\' and ${q2} <= 2' });
    const exprInput = expr.querySelector('#' + id + '-expr');
    const redraw = () => { const next = conditionMenus(id, get(), cands, set, exprInput); if (menus) swapKeepingFocus(menus, next); menus = next; };
    redraw();
    box.append(menus, expr);
    return box;
  }
  function conditionMenus(id, text, cands, set, exprInput) {
    const parsed = parseCondition(text, cands);
    const part = h('div', { class: 'bcond-menus' });
    // A menu choice writes the expression and re-draws the menus (the focused menu keeps focus).
    const commit = () => {
      edit(() => set(writeCondition(parsed, cands)), { render: false });
      exprInput.value = writeCondition(parsed, cands);
      swapKeepingFocus(part, conditionMenus(id, exprInput.value, cands, set, exprInput));
    };
    if (!parsed) {
      part.append(h('p', { class: 'muted', text: '该条件无法用菜单表示，请直接修改下面的表达式。' }));
      return part;
    }
    if (!parsed.conds.length) part.append(h('p', { class: 'muted', text: '目前总是显示。' }));
    if (parsed.conds.length > 1) {
      const jid = id + '-join';
      part.append(h('div', { class: 'bfield' }, h('label', { for: jid, text: '条件之间' }), h('select', {
        id: jid, value: parsed.join, onchange: (e) => { parsed.join = e.target.value; commit(); },
      }, h('option', { value: 'and', text: '全部满足' }), h('option', { value: 'or', text: '任一满足' }))));
    }
    parsed.conds.forEach((c, i) => {
      const cand = cands.find((x) => x.ref === c.ref);
      const row = h('div', { class: 'bcond-row' });
      const qid = id + '-c' + i + '-q', oid = id + '-c' + i + '-op', vid = id + '-c' + i + '-v';
      row.append(h('div', { class: 'bfield' }, h('label', { for: qid, text: '题目' }),
        h('select', { id: qid, value: c.ref, onchange: (e) => { const n = cands.find((x) => x.ref === e.target.value); parsed.conds[i] = { ref: n.ref, op: KIND_OPS[n.kind][0], value: defaultValue(n) }; commit(); } },
          cands.map((x) => h('option', { value: x.ref, text: x.label })))));
      row.append(h('div', { class: 'bfield' }, h('label', { for: oid, text: '条件' }),
        h('select', { id: oid, value: c.op, onchange: (e) => { c.op = e.target.value; if (needsValue(c.op) && c.value === '') c.value = defaultValue(cand); commit(); } },
          KIND_OPS[cand.kind].map((op) => h('option', { value: op, text: OPS[op] })))));
      if (needsValue(c.op)) {
        let control;
        const choose = (e) => { c.value = e.target.value; commit(); };
        if (cand.kind === 'one' || cand.kind === 'many') {
          const opts = cand.options.map((o) => [o.value, o.label]);
          if (!opts.some((o) => o[0] === c.value)) opts.unshift([c.value, c.value]);
          control = h('select', { id: vid, value: c.value, onchange: choose }, opts.map(([v, l]) => h('option', { value: v, text: l })));
        } else if (cand.kind === 'scale') {
          const opts = SCALE.concat(cand.unknown && (c.op === 'eq' || c.op === 'ne') ? [['unknown', '不了解']] : []);
          control = h('select', { id: vid, value: c.value, onchange: choose }, opts.map(([v, l]) => h('option', { value: v, text: v === 'unknown' ? l : v + ' ' + l })));
        } else {
          control = h('input', {
            id: vid, type: 'number', value: c.value,
            oninput: (e) => { c.value = e.target.value.trim() || '0'; edit(() => set(writeCondition(parsed, cands)), { typing: vid, render: false }); exprInput.value = writeCondition(parsed, cands); },
          });
        }
        row.append(h('div', { class: 'bfield' }, h('label', { for: vid, text: '答案' }), control));
      }
      row.append(tool('删除条件', '删除条件 ' + (i + 1), () => { parsed.conds.splice(i, 1); commit(); }, false, id + '-c' + i + '-del'));
      part.append(row);
    });
    part.append(h('p', {}, h('button', {
      type: 'button', id: id + '-add', disabled: !cands.length,
      onclick: () => { const n = cands[cands.length - 1]; parsed.conds.push({ ref: n.ref, op: KIND_OPS[n.kind][0], value: defaultValue(n) }); commit(); },
      text: cands.length ? '添加条件' : '添加条件（前面没有可引用的题目）',
    })));
    return part;
  }
  // Replace one part of the editor that may hold the focus (a menu just used): the control
  // with the same id takes the focus back. Text boxes are never inside a part replaced this way.
  function swapKeepingFocus(old, replacement) {
    const focused = document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : null;
    old.replaceWith(replacement);
    const again = focused && document.getElementById(focused);
    if (again) again.focus();
  }

  // Validation: the menus (rule and number) and the expression, kept in step in place like the
  // condition editor's; the message field is never re-drawn while the clerk works in the box.
  function checkEditor(id, q) {
    const list = checksFor(q);
    const box = h('fieldset', { class: 'bcond' }, h('legend', { text: '答案校验' }));
    let menus = null;
    const redraw = () => { if (!list.length) return; const next = checkMenus(id, q, list); if (menus) swapKeepingFocus(menus, next); menus = next; };
    redraw();
    box.append(menus || '', textField(id + '-expr', '校验表达式（高级，“.”表示本题答案）', q.constraint, (v) => { setKey(q, 'constraint', v.trim()); redraw(); }, { code: true }));
    box.append(textField(id + '-msg', '不符合时的提示', q.constraint_message, (v) => setKey(q, 'constraint_message', v)));
    return box;
  }
  function checkMenus(id, q, list) {
    const part = h('div', { class: 'bcond-menus' });
    const parsed = parseCheck(q.constraint, list);
    if (q.constraint && !parsed) part.append(h('p', { class: 'muted', text: '该校验无法用菜单表示，请直接修改下面的表达式。' }));
    const current = parsed ? list.find((x) => x[0] === parsed.key) : null;
    const make = R.makeCheck;
    const row = h('div', { class: 'bcond-row' });
    row.append(selectField(id + '-rule', '规则', [{ value: '', label: parsed || !q.constraint ? '不校验' : '（表达式）' }].concat(list.map((x) => ({ value: x[0], label: x[1] }))),
      parsed ? parsed.key : '', (v) => { const entry = list.find((x) => x[0] === v); setKey(q, 'constraint', entry ? make(entry, parsed && parsed.value) : ''); }));
    if (current && current[2].indexOf('#') >= 0) {
      row.append(numberField(id + '-rule-v', '数值', parsed.value, (v) => {
        q.constraint = make(current, v === undefined ? '' : String(v));
        const shown = document.getElementById(id + '-expr');
        if (shown) shown.value = q.constraint;
      }));
    }
    part.append(row);
    return part;
  }

  // --- units for ratings -----------------------------------------------------------------------
  function unitMatrix(id, q) {
    const chosen = new Set((q.rows || []).map((r) => r.unit).filter(Boolean));
    const setCodes = (codes) => edit(() => { q.rows = rowsForUnits(q, codes); });
    const box = h('fieldset', { class: 'bunits' }, h('legend', { text: '矩阵行：要评价的单位（已选 ' + chosen.size + ' 个）' }));
    if (!allUnits.length) box.append(h('p', { class: 'muted' }, '单位名录是空的，请先', h('a', { href: '/admin/units', text: '添加单位' }), '。'));
    box.append(h('p', { class: 'bunits-all' },
      h('button', { type: 'button', id: id + '-all', onclick: () => setCodes(new Set(allUnits.map((u) => u.code))), text: '选择全部单位' }), ' ',
      h('button', { type: 'button', id: id + '-none', onclick: () => setCodes(new Set()), text: '全部取消' })));
    unitGroups.forEach((g, gi) => {
      const all = g.units.every((u) => chosen.has(u.code));
      const group = h('fieldset', { class: 'bunit-group' }, h('legend', { text: g.category + '（' + g.units.length + '）' }),
        h('button', {
          type: 'button', class: 'btool', id: id + '-g' + gi, text: all ? '取消本类' : '全选本类', 'aria-label': (all ? '取消本类：' : '全选本类：') + g.category,
          onclick: () => { const next = new Set(chosen); g.units.forEach((u) => (all ? next.delete(u.code) : next.add(u.code))); setCodes(next); },
        }));
      g.units.forEach((u) => {
        const uid = id + '-u-' + u.code.replace(/[^A-Za-z0-9_-]/g, '_');
        group.append(h('span', { class: 'bcheck' }, h('input', {
          id: uid, type: 'checkbox', checked: chosen.has(u.code),
          onchange: (e) => { const next = new Set(chosen); if (e.target.checked) next.add(u.code); else next.delete(u.code); setCodes(next); },
        }), h('label', { for: uid, text: u.name })));
      });
      box.append(group);
    });
    const others = (q.rows || []).filter((r) => !r.unit || !allUnits.some((u) => u.code === r.unit));
    if (others.length) box.append(h('p', { class: 'muted', text: '其他行：' + others.map((r) => r.label + (r.unit ? '（' + r.unit + '，不在单位名录中）' : '')).join('、') }));
    return box;
  }

  return { h, textField, numberField, checkField, selectField, setKey, unitChoices, single, tool, conditionEditor, checkEditor, unitMatrix };
};
