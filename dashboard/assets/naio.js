/* Browser side of the dashboard shell: mirror filters into the URL, keep the language links
   and the PDF link in step with it, and set <html lang>. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  naio: {
    syncUrl: function (pathname, search, values, ids, currentPeriod) {
      var ctx = window.dash_clientside.callback_context;
      var byFilter = (ctx && ctx.triggered || []).some(function (t) {
        return t && t.prop_id && t.prop_id.charAt(0) === '{';
      });
      var params = new URLSearchParams(window.location.search);
      if (byFilter) {
        var changed = false;  // a filter the URL named with another value: not a page's first render
        (ids || []).forEach(function (id, i) {
          var v = values[i];
          var text = (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length))
            ? null : (Array.isArray(v) ? v.join(',') : String(v));
          if (params.has(id.key) && params.get(id.key) !== text) { changed = true; }
          if (text === null) { params.delete(id.key); } else { params.set(id.key, text); }
        });
        if (changed) { params.delete('page'); }  // a paged list starts again from its first page
        var q = params.toString();
        var target = window.location.pathname + (q ? '?' + q : '');
        if (target !== window.location.pathname + window.location.search) {
          window.history.replaceState(window.history.state, '', target + window.location.hash);
        }
      }
      var lang = params.get('lang') === 'ms' ? 'ms' : 'en';
      document.documentElement.lang = lang;
      var path = window.location.pathname;
      var withLang = function (l) {
        var p = new URLSearchParams(params);
        if (l === 'en') { p.delete('lang'); } else { p.set('lang', l); }
        var s = p.toString();
        return path + (s ? '?' + s : '');
      };
      var pdf = '/pack?' + new URLSearchParams({period: params.get('period') || currentPeriod || '', lang: lang}).toString();
      return [params.toString(), withLang('en'), withLang('ms'),
              lang === 'en' ? 'lang-opt active' : 'lang-opt',
              lang === 'ms' ? 'lang-opt active' : 'lang-opt', pdf];
    }
  }
});

/* Dash's dropdown takes keyboard focus on a hidden text input marked aria-hidden, which hides
   a focusable control from assistive technology. Expose it instead as the combobox it acts as,
   named by the filter's label and current value. */
(function () {
  function expose(input) {
    var wrapper = input.parentElement;
    var button = wrapper && wrapper.querySelector('button.dash-dropdown');
    var filter = input.closest('.filter');
    var label = filter && filter.querySelector('.filter-label');
    if (!button) { return; }
    input.removeAttribute('aria-hidden');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-haspopup', 'listbox');
    input.setAttribute('aria-expanded', button.getAttribute('aria-expanded') || 'false');
    var names = [];
    if (label && label.id) { names.push(label.id); }
    if (button.id) { names.push(button.id + '-value'); }
    if (names.length) { input.setAttribute('aria-labelledby', names.join(' ')); }
  }
  function scan(root) {
    (root.querySelectorAll ? root.querySelectorAll('input.dash-dropdown-focus-target') : []).forEach(expose);
  }
  var observer = new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      if (m.type === 'attributes' && m.target.matches && m.target.matches('button.dash-dropdown')) {
        var input = m.target.parentElement && m.target.parentElement.querySelector('input.dash-dropdown-focus-target');
        if (input) { expose(input); }
      }
      m.addedNodes.forEach(function (n) { if (n.nodeType === 1) { scan(n); } });
    });
  });
  function start() {
    scan(document);
    observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                     attributeFilter: ['aria-expanded', 'aria-hidden']});
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();

/* The tab's title follows the page heading, so it is in the language of the page: Dash sets
   the registered (English) title when a page is loaded. */
(function () {
  function follow() {
    var h1 = document.querySelector('.page-header h1');
    var text = h1 && h1.textContent.trim();
    if (text) {
      var title = text + ' · NAIO';
      if (document.title !== title) { document.title = title; }
    }
  }
  function start() {
    follow();
    new MutationObserver(follow).observe(document.body, {childList: true, subtree: true, characterData: true});
    new MutationObserver(follow).observe(document.head, {childList: true, subtree: true, characterData: true});
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
