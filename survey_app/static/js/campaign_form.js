/* campaign_form.js: on the new-campaign form, the questionnaire list follows the chosen
 * audience (调查对象), so the pair submitted agrees. Without this script every published
 * questionnaire is listed and the server explains a mismatch, keeping what was chosen.
 */
(function () {
  'use strict';
  const audience = document.getElementById('new-audience');
  const version = document.getElementById('new-version');
  if (!audience || !version) return;
  const options = Array.prototype.slice.call(version.querySelectorAll('option[data-audience]'));
  const none = document.createElement('option');
  none.value = '';
  none.textContent = '（没有面向该调查对象的已发布问卷）';

  // `choose`: pick a fitting questionnaire when the shown one does not fit. Not on load: a
  // page returned with an error keeps exactly what was chosen (the message says what is wrong).
  function follow(choose) {
    const kind = audience.value;
    let fitting = null;
    options.forEach(function (o) {
      const fits = o.getAttribute('data-audience') === kind;
      const keep = fits || (!choose && o.selected);
      o.hidden = !keep;
      o.disabled = !keep;
      if (fits && !fitting) fitting = o;
    });
    if (none.parentNode) none.parentNode.removeChild(none);
    const current = version.options[version.selectedIndex];
    if (choose && (!current || current.disabled)) {
      if (fitting) fitting.selected = true;
      else { version.insertBefore(none, version.firstChild); none.selected = true; }
    }
  }
  audience.addEventListener('change', function () { follow(true); });
  follow(false);
})();
