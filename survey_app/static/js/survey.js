/* survey.js: progressive enhancement of a questionnaire page. The page works without it; the
 * server (questionnaires/answers.py) re-checks everything. No string is ever run as code.
 *
 * HTML contract (questionnaires/client_logic.py produces the data-* attributes):
 *   <form data-survey method="post" data-answers='{"q1":"yes"}'>   answers from other pages
 *     [data-draft-url="/s/TOKEN/draft"]       default: this page's path + "/draft"
 *     <input type="hidden" name="_csrf_token" value="…">   (or any input with data-csrf);
 *                                              sent as the form field and the x-csrftoken header
 *     <section data-section="id" [data-relevant='AST']> … </section>
 *     <div data-question="name" data-type="rating"          one container per question
 *          [data-relevant='AST'] [data-required="true" | data-required='AST']
 *          [data-required-message="…"] [data-constraint='AST'] [data-constraint-message="…"]
 *          [data-min="0"] [data-max="100"] [data-integer="true"] [data-maxlength="200"]
 *          [data-max-choices="3"] [data-choice-filter='AST']>
 *       inputs named as the question (checkboxes repeat the name); a matrix row's radios are
 *       named "name__rowid"; under a choice filter each option's wrapper (or <option>) has
 *       data-fields='{"name":"v","col":"x"}';
 *       <p data-error aria-live="polite"></p>       where a message is shown (textContent)
 *     </div>
 *     <span data-autosave-status></span>          shows "已自动保存"
 *     <div data-later='[[AST|null, ["q2", …]], …]'>  later steps: condition, question names;
 *       <button data-main-button>                 下一页 (value next) / 提交问卷 (value submit)
 *     </div>   with <progress data-progress> and <p data-step-text> ("第 1 / 2 部分") anywhere:
 *     a later step counts while its condition holds or reads an unanswered question of this
 *     page or a later one (as questionnaires/flow.possible_sections, given the live answers).
 *     a submit button with formnovalidate (e.g. "上一页") skips the checks.
 *   </form>
 * <html> gets class "js" (CSS then hides the written skip rules, .skip-rule).
 * Hidden sections/questions get the `hidden` attribute and their inputs `disabled` (so they
 * are neither submitted nor autosaved); containers with a problem get class "has-error".
 * AST: the JSON of questionnaires.expressions.expression_to_json, evaluated with XPath rules.
 */
(function () {
  'use strict';

  const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const get = (o, k) => (o && own(o, k) ? o[k] : '');
  const NUM = /^[ \t\n\r]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*$/;
  const DATE = /^[ \t\n\r]*([0-9]{4})-([0-9]{2})-([0-9]{2})[ \t\n\r]*$/;

  function num(v) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (NUM.test(v)) return parseFloat(v);
    const m = DATE.exec(v); // a date is its day number, as on the server
    if (m) {
      const t = Date.UTC(+m[1], m[2] - 1, +m[3]), d = new Date(t);
      if (d.getUTCMonth() === m[2] - 1 && d.getUTCDate() === +m[3]) return t / 864e5; // not 02-30
    }
    return NaN;
  }
  const str = (v) => (typeof v === 'string' ? v : String(v)); // true/false, 3, 2.5, NaN, Infinity
  const truthy = (v) => (typeof v === 'boolean' ? v : typeof v === 'number' ? !(v === 0 || isNaN(v)) : v !== '');
  const words = (v) => str(v).split(/\s+/).filter(Boolean);
  function equal(a, b) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
    if (typeof a === 'number' || typeof b === 'number') return num(a) === num(b);
    return a === b;
  }
  const regexes = new Map();
  function regex(s, p) {
    try {
      if (!regexes.has(p)) regexes.set(p, new RegExp('^(?:' + p + ')$', 'u'));
      return regexes.get(p).test(s);
    } catch (e) { return false; }
  }
  const chinaToday = () => new Date(Date.now() + 8 * 36e5).toISOString().slice(0, 10);
  const ARITH = {
    '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b,
    '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, div: (a, b) => a / b, mod: (a, b) => a % b,
  };

  // ctx: {values: {name: text}, current: text, fields: {column: text}, today: 'YYYY-MM-DD'}
  function evaluate(n, ctx) {
    const op = n[0], ev = (x) => evaluate(x, ctx);
    switch (op) {
      case 'num': case 'str': return n[1];
      case 'ref': return get(ctx.values, n[1]);
      case 'cur': return ctx.current || '';
      case 'fld': return get(ctx.fields, n[1]);
      case 'neg': return -num(ev(n[1]));
      case 'and': return truthy(ev(n[1])) && truthy(ev(n[2]));
      case 'or': return truthy(ev(n[1])) || truthy(ev(n[2]));
      case '=': return equal(ev(n[1]), ev(n[2]));
      case '!=': return !equal(ev(n[1]), ev(n[2]));
      case 'call': return call(n[1], n.slice(2), ev, ctx);
    }
    if (!own(ARITH, op)) throw new Error('bad op');
    return ARITH[op](num(ev(n[1])), num(ev(n[2])));
  }
  function call(name, args, ev, ctx) {
    if (name === 'if') return truthy(ev(args[0])) ? ev(args[1]) : ev(args[2]);
    if (name === 'coalesce') { const a = ev(args[0]); return str(a) !== '' ? a : ev(args[1]); }
    const v = args.map(ev);
    switch (name) {
      case 'selected': return words(v[0]).indexOf(str(v[1]).trim()) >= 0;
      case 'count-selected': return words(v[0]).length;
      case 'string-length': return Array.from(str(v[0])).length;
      case 'regex': return regex(str(v[0]), str(v[1]));
      case 'number': return num(v[0]);
      case 'int': return Math.trunc(num(v[0]));
      case 'today': return ctx.today || chinaToday();
      case 'concat': return v.map(str).join('');
      case 'not': return !truthy(v[0]);
      case 'true': return true;
      case 'false': return false;
      // XLSForm functions for imported calculations: as _xlsform_call in questionnaires/evaluation.py
      case 'round': return round(num(v[0]), v.length > 1 ? num(v[1]) : 0);
      case 'date': return dateText(num(v[0]));
      case 'sum': return str(v[0]) === '' ? 0 : num(v[0]);
      case 'string': return str(v[0]);
      case 'boolean': return truthy(v[0]);
      case 'contains': return str(v[0]).includes(str(v[1]));
      case 'starts-with': return str(v[0]).startsWith(str(v[1]));
      case 'ends-with': return str(v[0]).endsWith(str(v[1]));
      case 'substr': return substr(str(v[0]), v.slice(1).map(num));
      case 'floor': return Math.floor(num(v[0]));
      case 'ceiling': return Math.ceil(num(v[0]));
      case 'abs': return Math.abs(num(v[0]));
      case 'min': case 'max': {
        const ns = v.map(num);
        return ns.some(isNaN) ? NaN : name === 'min' ? Math.min(...ns) : Math.max(...ns);
      }
      case 'once': return v[0];
    }
    throw new Error('bad function');
  }
  function round(x, digits) {
    if (isNaN(digits)) return NaN;
    const p = Math.pow(10, Math.trunc(Math.min(10, Math.max(0, digits)))), t = x * p + 0.5;
    return isFinite(t) ? Math.floor(t) / p : x;
  }
  function dateText(n) {
    if (isNaN(n) || !(n >= -719162 && n < 2932897)) return '';
    return new Date(Math.floor(n) * 864e5).toISOString().slice(0, 10);
  }
  function substr(s, bounds) {
    if (bounds.some(isNaN)) return '';
    const chars = Array.from(s), n = chars.length;
    const clamp = (b) => (b <= 0 ? 0 : b >= n ? n : Math.trunc(b));
    const start = clamp(bounds[0]), end = bounds.length > 1 ? clamp(bounds[1]) : n;
    return start < end ? chars.slice(start, end).join('') : '';
  }

  const api = { evaluate, truthy };
  if (typeof module === 'object' && module.exports) module.exports = api; // for tests in Node
  if (typeof document === 'undefined') return;

  const asts = new Map();
  function holds(el, attr, ctx, otherwise) {
    const text = el.getAttribute(attr);
    if (text === null) return otherwise;
    try {
      if (!asts.has(text)) asts.set(text, JSON.parse(text));
      return truthy(evaluate(asts.get(text), ctx));
    } catch (e) { return true; } // like the server: if in doubt, show and ask
  }
  const inputs = (el) => el.querySelectorAll('input,select,textarea');
  function show(el, on) {
    el.hidden = !on;
    if (el.tagName === 'OPTION') el.disabled = !on;
    inputs(el).forEach((i) => { i.disabled = !on; });
  }
  function readInto(el, values) {
    inputs(el).forEach((i) => {
      if (i.disabled || !i.name || (/radio|checkbox/.test(i.type) && !i.checked)) return;
      const v = i.value.trim();
      if (v) values[i.name] = i.type === 'checkbox' && own(values, i.name) ? values[i.name] + ' ' + v : v;
    });
  }

  function setup(form) {
    const base = Object.assign(Object.create(null), JSON.parse(form.getAttribute('data-answers') || '{}'));
    const items = Array.from(form.querySelectorAll('[data-section],[data-question]'));
    const questions = items.filter((el) => el.hasAttribute('data-question'));
    questions.forEach((q) => { // this page's own inputs replace the stored answers
      const name = q.getAttribute('data-question');
      Object.keys(base).forEach((k) => { if (k === name || k.indexOf(name + '__') === 0) delete base[k]; });
    });
    let values;

    function refresh() {
      values = Object.assign(Object.create(null), base);
      items.forEach((el) => {
        const isSection = el.hasAttribute('data-section'), section = el.closest('[data-section]');
        const on = (isSection || !(section && section.hidden)) && holds(el, 'data-relevant', { values }, true);
        show(el, on);
        if (!on || isSection) return; // a section's inputs are read through its questions
        if (el.hasAttribute('data-choice-filter')) {
          el.querySelectorAll('[data-fields]').forEach((o) => {
            const keep = holds(el, 'data-choice-filter', { values, fields: JSON.parse(o.getAttribute('data-fields')) }, true);
            show(o, keep);
            if (!keep) { o.selected = false; inputs(o).forEach((i) => { i.checked = false; }); }
          });
        }
        readInto(el, values);
      });
      // XLSForm piping: ${name} in a label shows the current answer
      form.querySelectorAll('[data-pipe]').forEach((span) => { span.textContent = get(values, span.getAttribute('data-pipe')); });
      updateSteps();
    }

    // The main button says whether pressing it submits; the progress counts the possible steps.
    const laterBox = form.querySelector('[data-later]'), button = form.querySelector('[data-main-button]');
    const bar = document.querySelector('[data-progress]'), stepText = document.querySelector('[data-step-text]');
    const later = laterBox ? JSON.parse(laterBox.getAttribute('data-later')) : [];
    const pageNames = questions.map((q) => q.getAttribute('data-question'));
    const laterNames = [].concat(...later.map((step) => step[1]));
    const baseOf = (ref) => ref.split('__')[0];
    function refs(n, out) {
      if (Array.isArray(n)) {
        if (n[0] === 'ref') out.push(n[1]);
        else n.forEach((child) => refs(child, out));
      }
      return out;
    }
    function updateSteps() {
      if (!later.length || !button) return;
      const seen = Object.assign(Object.create(null), values);
      let count = 0;
      later.forEach(([ast, names]) => {
        let on = ast === null;
        if (!on) {
          try { on = truthy(evaluate(ast, { values: seen })); } catch (e) { on = true; }
          on = on || refs(ast, []).some((r) => !get(seen, r) &&
            (pageNames.indexOf(baseOf(r)) >= 0 || laterNames.indexOf(baseOf(r)) >= 0));
        }
        if (on) count += 1;
        else Object.keys(seen).forEach((k) => { if (names.indexOf(baseOf(k)) >= 0) delete seen[k]; });
      });
      const last = count === 0;
      button.value = last ? 'submit' : 'next';
      button.textContent = last ? '提交问卷' : '下一页';
      if (bar && stepText) {
        const position = Math.round(bar.value), total = position + count;
        bar.max = total;
        bar.textContent = `${position}/${total}`;
        stepText.textContent = `第 ${position} / ${total} 部分`;
      }
    }

    function problem(q) {
      if (q.hidden) return '';
      const name = q.getAttribute('data-question'), value = get(values, name), a = (k) => q.getAttribute(k);
      if (a('data-type') === 'matrix_rating') {
        const rows = new Set(Array.from(inputs(q), (i) => i.name));
        const missing = Array.from(rows).some((r) => !get(values, r));
        return missing && holds(q, 'data-required', { values }, false) ? a('data-required-message') || '请对每一行作出评价' : '';
      }
      if (!value) return holds(q, 'data-required', { values }, false) ? a('data-required-message') || '此题为必答题' : '';
      const n = num(value), lo = a('data-min'), hi = a('data-max');
      if (a('data-type') === 'number') {
        if (isNaN(n)) return '请输入数字';
        if (a('data-integer') && n % 1) return '请输入整数';
        if ((lo !== null && n < +lo) || (hi !== null && n > +hi)) {
          return lo !== null && hi !== null ? `请输入 ${lo} 到 ${hi} 之间的数` : lo !== null ? `不能小于 ${lo}` : `不能大于 ${hi}`;
        }
      }
      const len = Array.from(value).length, max = a('data-maxlength'), most = a('data-max-choices');
      if (max !== null && len > +max) return `不能超过 ${max} 个字（现有 ${len} 个）`;
      if (most !== null && words(value).length > +most) return `最多选择 ${most} 项`;
      return holds(q, 'data-constraint', { values, current: value }, true) ? '' : a('data-constraint-message') || '答案不符合要求';
    }
    function check(q) {
      const message = problem(q), box = q.querySelector('[data-error]');
      if (box) box.textContent = message;
      q.classList.toggle('has-error', !!message);
      inputs(q).forEach((i) => i.setAttribute('aria-invalid', !!message));
      return !message;
    }

    // Autosave: a few seconds after changes, quietly; failures are retried later.
    const status = form.querySelector('[data-autosave-status]');
    const url = form.getAttribute('data-draft-url') || location.pathname.replace(/\/+$/, '') + '/draft';
    let dirty = false, busy = false, refused = false;
    function post(keepalive) {
      const csrf = form.querySelector('input[data-csrf],input[name="_csrf_token"]');
      return fetch(url, {
        method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin',
        keepalive: !!keepalive, headers: csrf ? { 'x-csrftoken': csrf.value } : {},
      }).then((r) => {
        // 409 with a message: the link no longer takes answers (the campaign closed while the
        // page was open, the questionnaire was submitted elsewhere…): the server's notice
        // matters, not this page's checks. (An open link's 409 without one: no device yet.)
        if (r.status !== 409) return r;
        return r.json().then((body) => { refused = !!(body && body.message); return r; }, () => r);
      });
    }
    function save(keepalive) {
      if (!dirty || busy || refused || !window.fetch) return;
      dirty = false; busy = true;
      post(keepalive).then((r) => {
        if (r.ok && status) status.textContent = '已自动保存';
        if (r.status >= 500) dirty = true;
      }, () => { dirty = true; }).then(() => { busy = false; });
    }
    const timer = setInterval(save, 4000);
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') save(true); });

    // Text limits: the count as one types, a word when the browser cut a paste to maxlength
    // (it does so silently), and the count told to screen readers once typing pauses.
    const texts = Array.from(form.querySelectorAll('textarea[maxlength],input[type="text"][maxlength]'));
    const pauses = new Map();
    const near = (field, selector) => { const q = field.closest('.q'); return q && q.querySelector(selector); };
    function counted(field, announce) {
      const n = field.value.length, max = field.maxLength, box = near(field, '[data-count]');
      if (box) {
        box.textContent = `，已输入 ${n}/${max} 字`;
        box.parentNode.classList.toggle('full', n >= max);
      }
      const note = near(field, '[data-limit-note]');
      if (note && n < max) note.textContent = '';
      if (!announce) return;
      clearTimeout(pauses.get(field));
      pauses.set(field, setTimeout(() => {
        const live = near(field, '[data-count-live]');
        if (live) live.textContent = `已输入 ${field.value.length}/${max} 字`;
      }, 1500));
    }
    texts.forEach((field) => counted(field, false));
    form.addEventListener('paste', (e) => {
      const field = e.target;
      if (texts.indexOf(field) < 0 || !e.clipboardData) return;
      const pasted = e.clipboardData.getData('text').replace(/\r\n?/g, '\n');
      const kept = field.value.length - ((field.selectionEnd || 0) - (field.selectionStart || 0));
      const max = field.maxLength, note = near(field, '[data-limit-note]');
      if (note && kept + pasted.length > max) {
        note.textContent = pasted.length > max ? `粘贴的内容超过 ${max} 字，超出部分未填入`
          : `粘贴后超过 ${max} 字，超出部分未填入`;
      }
    });

    function changed(e) { // re-check a question once it was answered (change) or shown wrong
      dirty = true;
      if (texts.indexOf(e.target) >= 0) counted(e.target, e.type === 'input');
      refresh();
      const q = e.target.closest('[data-question]');
      if (q && (e.type === 'change' || q.classList.contains('has-error'))) check(q);
    }
    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
    // The form itself now carries the answers: a late autosave (e.g. on unload) must not race it.
    const stopAutosave = () => { dirty = false; clearInterval(timer); };
    form.addEventListener('submit', (e) => {
      // A link the server refuses: let the POST through, its answer is the notice to show.
      if (refused || (e.submitter && e.submitter.hasAttribute('formnovalidate'))) { stopAutosave(); return; }
      refresh();
      const bad = questions.filter((q) => !check(q));
      if (bad.length) {
        e.preventDefault();
        bad[0].scrollIntoView({ block: 'center' });
        const first = bad[0].querySelector('input,select,textarea');
        if (first) first.focus({ preventScroll: true });
        // The page may have stayed open while the campaign closed: ask the server, and if the
        // link is refused show its notice ("调查已结束") instead of asking for answers in vain.
        if (window.fetch) {
          post(false).then((r) => {
            if (refused) { stopAutosave(); form.submit(); }
          }, () => {});
        }
      } else stopAutosave();
    });
    refresh();
  }

  const start = () => {
    // Skip logic runs here, so the written skip rules (for pages without JavaScript) go: CSS
    // hides .skip-rule under html.js.
    document.documentElement.classList.add('js');
    document.querySelectorAll('form[data-survey]').forEach(setup);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
